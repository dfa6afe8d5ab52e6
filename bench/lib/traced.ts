// Target ours-traced: our proxy with --tracing-config-file, exporting over OTLP/gRPC to an
// in-process receiver (the suite's, test/fixtures/otlp-receiver.ts) in the benchmark's own process,
// so the collector's CPU is never charged to the proxy. Default sampling 1 % (10000 per million).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startOtlpReceiver, type OtlpReceiver } from '../../test/fixtures/otlp-receiver.js'
import type { TopologyInfo } from './children/topology.js'
import { startOurs, type ServingFiles, type Target } from './targets.js'

export interface TracedTarget {
  target: Target
  receiver: OtlpReceiver
}

export async function startOursTraced(dir: string, topo: TopologyInfo, serving: ServingFiles, samplingRatePerMillion: number): Promise<TracedTarget> {
  const receiver = await startOtlpReceiver()
  const file = join(dir, 'tracing.yaml')
  writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1\nkind: TracingConfiguration\nendpoint: ${receiver.endpoint}\nsamplingRatePerMillion: ${samplingRatePerMillion}\n`)
  try {
    const target = await startOurs(dir, topo, serving, { v: 2, name: 'ours-traced', extra: { tracingConfigFile: file } })
    return { target, receiver }
  } catch (e) {
    await receiver.close()
    throw e
  }
}
