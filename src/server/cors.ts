// --cors-allowed-origins: Go regular expressions, compiled once into the pipeline's CORS step
// (step 1, src/proxy/cors.ts). createFrontProxy validated them already; a caller of
// startFrontProxy with unvalidated options gets this startup error instead.
import { compileGoRegexp } from '../config/index.js'
import { compileCors, type CorsCheck } from '../proxy/cors.js'

export function corsForOrigins(origins: readonly string[]): CorsCheck | undefined {
  return compileCors(
    origins.map((o) => {
      const c = compileGoRegexp(o)
      if (!c.ok) throw new Error(`--cors-allowed-origins: ${JSON.stringify(o)}: ${c.reason}`)
      return c.re
    }),
  )
}
