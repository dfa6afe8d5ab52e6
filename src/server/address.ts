// host:port strings as the flags give them and URLs as the startup log and embedders see them.

/** Brackets an IPv6 address for a URL. */
export function formatHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h
}

/** The URL clients on this machine use: a wildcard bind is reached through loopback. */
export function servingURL(bindAddress: string, port: number): string {
  return `https://${formatHost(bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress)}:${port}`
}
