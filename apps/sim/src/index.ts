export { makeHardware, makeInventory, simHostname } from "./hardware.ts";
export { DeviceModel, HOT_TEMP_C, PERSONALITIES, type Personality, pickPersonality } from "./personality.ts";
export { deviceSeed, Rng } from "./rng.ts";
export {
  isLoopbackUrl,
  MAX_DEVICES,
  type RunningSimulator,
  type SimulatedDevice,
  type SimulatorOptions,
  startSimulator,
} from "./simulator.ts";
