/**
 * tRPC over plain HTTP with a session cookie, as the browser calls it (superjson's `{ json }` envelope).
 * Enough for the bench's setup calls and for timing a query end to end.
 */
export class TrpcHttp {
  constructor(
    private readonly url: string,
    private readonly cookie: string,
  ) {}

  static async signIn(url: string, email: string, password: string): Promise<TrpcHttp> {
    const res = await fetch(`${url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: url },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`sign-in failed: HTTP ${res.status}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    return new TrpcHttp(url, cookie);
  }

  get cookieHeader(): string {
    return this.cookie;
  }

  async query<T>(path: string, input: unknown): Promise<T> {
    const q = encodeURIComponent(JSON.stringify({ json: input }));
    return this.unwrap<T>(path, await fetch(`${this.url}/api/trpc/${path}?input=${q}`, { headers: this.headers() }));
  }

  async mutate<T>(path: string, input: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/trpc/${path}`, {
      method: "POST",
      headers: { ...this.headers(), "content-type": "application/json", origin: this.url },
      body: JSON.stringify({ json: input }),
    });
    return this.unwrap<T>(path, res);
  }

  private headers(): Record<string, string> {
    return { cookie: this.cookie };
  }

  private async unwrap<T>(path: string, res: Response): Promise<T> {
    const body = (await res.json().catch(() => null)) as { result?: { data?: { json?: T } } } | null;
    if (!res.ok || !body?.result?.data)
      throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(body)?.slice(0, 300)}`);
    return body.result.data.json as T;
  }
}
