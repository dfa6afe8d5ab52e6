// The process_* families under the Go client's names, types and help texts, with this process's values.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { Registry } from 'prom-client'
import { registerProcessMetrics, softLimit, virtualMemoryBytes } from '../../src/server/process-metrics.js'

const value = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  if (m === null) throw new Error(`${name} missing`)
  return Number(m[1])
}

t.test('the families, types and help texts of Go\'s process collector', async (t) => {
  const registry = new Registry()
  registerProcessMetrics(registry)
  registerProcessMetrics(registry)
  const text = await registry.metrics()
  const want: [string, string, string][] = [
    ['process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.'],
    ['process_open_fds', 'gauge', 'Number of open file descriptors.'],
    ['process_max_fds', 'gauge', 'Maximum number of open file descriptors.'],
    ['process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.'],
    ['process_virtual_memory_max_bytes', 'gauge', 'Maximum amount of virtual memory available in bytes.'],
    ['process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.'],
    ['process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.'],
  ]
  for (const [name, type, help] of want) {
    t.match(text, `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} `, name)
  }
  t.equal(text.match(/# TYPE process_cpu_seconds_total/g)?.length, 1, 'registering twice registers once')
  t.ok(value(text, 'process_cpu_seconds_total') > 0)
  t.ok(value(text, 'process_resident_memory_bytes') > 1_000_000)
  t.ok(value(text, 'process_virtual_memory_bytes') >= value(text, 'process_resident_memory_bytes'))
  const fds = readdirSync('/proc/self/fd').length
  t.ok(Math.abs(value(text, 'process_open_fds') - fds) <= 5, 'about the descriptors /proc lists')
  t.ok(value(text, 'process_max_fds') >= value(text, 'process_open_fds'))
  const start = value(text, 'process_start_time_seconds')
  t.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 5, 'now minus uptime')
  const before = value(text, 'process_cpu_seconds_total')
  for (let i = 0; i < 200_000; i++) Math.sqrt(i)
  t.ok(value(await registry.metrics(), 'process_cpu_seconds_total') >= before, 'CPU time only grows')
})

t.test('parsing /proc: soft limits (unlimited is 2^64 as Go exports it) and vsize', async (t) => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\nMax address space         unlimited            unlimited            bytes\n'
  t.equal(softLimit(limits, 'Max open files'), 1024)
  t.equal(softLimit(limits, 'Max address space'), 2 ** 64)
  t.equal(softLimit(limits, 'Max locked memory'), undefined)
  const stat = '4242 (node (weird) name) S 1 4242 4242 0 -1 4194560 1 0 0 0 10 5 0 0 20 0 11 0 100 123456789 2000 18446744073709551615'
  t.equal(virtualMemoryBytes(stat), 123456789, 'field 23, after a command name with parentheses')
})
