import { INSTALL_PATHS } from "@labfleet/protocol";

/**
 * The POSIX sh installer served at /install/agent.sh. `server` is the control plane's configured origin
 * (validated by the caller: http(s), no quote can occur in a URL origin), single-quoted here all the same.
 * Everything else comes from the admin's own arguments and is validated by the script before use.
 */
/** The inference runtime the installer puts beside the agent (the version the agent is built and tested with). */
export const ONNX_RUNTIME_PACKAGE = "onnxruntime-node@1.30.0";
/** The optional language-model runtime (--with-llama), pinned to the version the agent is tested with. */
export const LLAMA_RUNTIME_PACKAGE = "node-llama-cpp@3.21.1";
/** The optional TensorFlow.js runtime (--with-tfjs) for the face detector, pinned like the others. */
export const TFJS_RUNTIME_PACKAGES =
  "@tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @vladmandic/face-api@1.7.15";

export function renderInstallScript(server: string): string {
  const quoted = `'${server.replaceAll("'", "'\\''")}'`;
  return `#!/bin/sh
# LabFleet agent installer, served by ${server.replace(/[^A-Za-z0-9:/.[\]_-]/g, "")}
#   curl -fsSL ${server}${INSTALL_PATHS.script} | sudo sh -s -- --token TOKEN
# Installs the agent with npm (Node.js 20 or newer), enrolls this machine with TOKEN and, as root where
# systemd runs, installs and starts the labfleet-agent service.
# Exit codes: 2 bad arguments, 20 Node.js/npm/curl missing, 21 download failed, 1 npm failed; otherwise
# labfleet-agent's own (3 token refused, 4 server unreachable, ...: labfleet-agent --help).
set -eu

SERVER=${quoted}
TOKEN=""
NAME=""
PREFIX=""
CONFIG=""
FORCE=""
SERVICE=yes
RUNTIME=yes
LLAMA=no
TFJS=no

say() { printf 'labfleet: %s\\n' "$*"; }
die() { printf 'labfleet: error: %s\\n' "$2" >&2; exit "$1"; }
usage() {
  cat <<'USAGE'
Usage: sh agent.sh --token TOKEN [--name NAME] [--config PATH] [--prefix DIR] [--force] [--no-service] [--no-runtime]
                [--with-llama] [--with-tfjs]

  --token TOKEN   The enrollment token from the dashboard (required).
  --name NAME     The device's name in the dashboard (default: the hostname).
  --config PATH   The agent's config file (default: /etc/labfleet/agent.json as root).
  --prefix DIR    npm's global prefix to install into (default: npm's own, e.g. /usr/local).
  --force         Replace an identity this machine already has.
  --no-service    Do not install the systemd service.
  --no-runtime    Do not install onnxruntime-node (${ONNX_RUNTIME_PACKAGE}) from the npm registry: the device
                  reports and can be deployed to, but cannot run ONNX models until it is installed.
  --with-llama    Also install ${LLAMA_RUNTIME_PACKAGE} from the npm registry, to run GGUF language models.
                  npm fetches every prebuilt llama.cpp build for this platform, GPU builds (CUDA, Vulkan)
                  included: several hundred MB. Nothing is compiled or downloaded from elsewhere; a device
                  with no fitting build reports the runtime as unavailable.
  --with-tfjs     Also install TensorFlow.js on its wasm backend with face-api (${TFJS_RUNTIME_PACKAGES}),
                  to run the face detector: about 380 MB on disk.
USAGE
}

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die 2 "$1 needs a value."; }

# Everything runs from main, called on the last line: piped into sh, the script is read whole before any
# command runs, so a cut-off download does nothing and no command can swallow the rest of the script from stdin.
main() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --token) need_value "$@"; TOKEN=$2; shift 2 ;;
      --token=*) TOKEN=\${1#*=}; shift ;;
      --name) need_value "$@"; NAME=$2; shift 2 ;;
      --name=*) NAME=\${1#*=}; shift ;;
      --config) need_value "$@"; CONFIG=$2; shift 2 ;;
      --config=*) CONFIG=\${1#*=}; shift ;;
      --prefix) need_value "$@"; PREFIX=$2; shift 2 ;;
      --prefix=*) PREFIX=\${1#*=}; shift ;;
      --force) FORCE=--force; shift ;;
      --no-service) SERVICE=no; shift ;;
      --no-runtime) RUNTIME=no; shift ;;
      --with-llama) LLAMA=yes; shift ;;
      --with-tfjs) TFJS=yes; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; die 2 "unknown option: $1" ;;
    esac
  done

  [ -n "$TOKEN" ] || { usage >&2; die 2 "--token is required: create an enrollment token in the dashboard."; }
  case "$TOKEN" in
    *[!A-Za-z0-9_-]*) die 2 "--token must be the token from the dashboard (letters, digits, - and _)." ;;
  esac

  command -v node >/dev/null 2>&1 || die 20 "Node.js 20 or newer is needed (e.g. apt-get install nodejs), then run this again."
  NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
  [ "$NODE_MAJOR" -ge 20 ] 2>/dev/null || die 20 "Node.js 20 or newer is needed; this machine has $(node --version)."
  command -v npm >/dev/null 2>&1 || die 20 "npm is needed (e.g. apt-get install npm), then run this again."

  IS_ROOT=no
  [ "$(id -u)" = 0 ] && IS_ROOT=yes
  if [ -z "$CONFIG" ] && [ "$IS_ROOT" = yes ]; then CONFIG=/etc/labfleet/agent.json; fi

  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT INT TERM
  TARBALL="$TMP/labfleet-agent.tgz"
  URL="$SERVER${INSTALL_PATHS.agentTarball}"
  say "downloading the agent from $URL"
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$TARBALL" "$URL" || die 21 "could not download $URL"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$TARBALL" "$URL" || die 21 "could not download $URL"
  else
    die 20 "curl or wget is needed to download the agent."
  fi

  # The tarball bundles every dependency: --offline proves nothing else is fetched.
  set -- install --global --offline --no-audit --no-fund --loglevel=error
  [ -n "$PREFIX" ] && set -- "$@" --prefix "$PREFIX"
  say "installing with npm"
  (cd "$TMP" && npm "$@" "$TARBALL") || die 1 "npm could not install the agent."
  if [ -n "$PREFIX" ]; then BIN_DIR="$PREFIX/bin"; else BIN_DIR="$(npm prefix --global)/bin"; fi
  AGENT="$BIN_DIR/labfleet-agent"
  [ -x "$AGENT" ] || die 1 "npm installed the agent, but $AGENT is missing."
  "$AGENT" version

  # The inference runtime is a separate package from the npm registry, installed beside the agent, where the
  # workload process finds it. Its own install script would download a CUDA add-on from outside npm: skipped;
  # the CPU build is inside the package.
  if [ "$RUNTIME" = yes ]; then
    set -- install --global --no-audit --no-fund --loglevel=error
    [ -n "$PREFIX" ] && set -- "$@" --prefix "$PREFIX"
    say "installing the inference runtime ${ONNX_RUNTIME_PACKAGE} from the npm registry"
    (cd "$TMP" && ONNXRUNTIME_NODE_INSTALL=skip npm "$@" ${ONNX_RUNTIME_PACKAGE}) ||
      say "warning: could not install ${ONNX_RUNTIME_PACKAGE}; the agent runs, but cannot run models until it is installed."
  fi

  # node-llama-cpp's install script would build llama.cpp from source (downloaded from outside npm) when no
  # prebuilt build fits: skipped, the agent only ever loads the prebuilt ones.
  if [ "$LLAMA" = yes ]; then
    set -- install --global --ignore-scripts --no-audit --no-fund --loglevel=error
    [ -n "$PREFIX" ] && set -- "$@" --prefix "$PREFIX"
    say "installing the language-model runtime ${LLAMA_RUNTIME_PACKAGE} from the npm registry (large: GPU builds included)"
    (cd "$TMP" && npm "$@" ${LLAMA_RUNTIME_PACKAGE}) ||
      say "warning: could not install ${LLAMA_RUNTIME_PACKAGE}; the agent runs, but cannot run GGUF models."
  fi

  if [ "$TFJS" = yes ]; then
    set -- install --global --no-audit --no-fund --loglevel=error
    [ -n "$PREFIX" ] && set -- "$@" --prefix "$PREFIX"
    say "installing the TensorFlow.js runtime (${TFJS_RUNTIME_PACKAGES}) from the npm registry"
    (cd "$TMP" && npm "$@" ${TFJS_RUNTIME_PACKAGES}) ||
      say "warning: could not install the TensorFlow.js runtime; face-detection models cannot run until it is installed."
  fi

  set -- enroll --server "$SERVER" --token "$TOKEN"
  [ -n "$NAME" ] && set -- "$@" --name "$NAME"
  [ -n "$CONFIG" ] && set -- "$@" --config "$CONFIG"
  [ -n "$FORCE" ] && set -- "$@" "$FORCE"
  "$AGENT" "$@"

  if [ "$SERVICE" = yes ] && [ "$IS_ROOT" = yes ] && [ -d /run/systemd/system ]; then
    set -- install-service
    [ -n "$CONFIG" ] && set -- "$@" --config "$CONFIG" --service-config "$CONFIG"
    "$AGENT" "$@"
    say "done: the agent runs as the labfleet-agent service."
  else
    [ "$SERVICE" = yes ] && [ "$IS_ROOT" = yes ] && say "systemd is not running here: no service was installed."
    RUN="$AGENT run"
    [ -n "$CONFIG" ] && RUN="$RUN --config $CONFIG"
    say "done. Start the agent with: $RUN"
  fi
}

main "$@" </dev/null
`;
}
