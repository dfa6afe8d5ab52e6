// Request body reading and decoding: JSON, YAML, the k8s protobuf envelope, DeleteOptions.
import type { IncomingMessage } from 'node:http'
import { parse as parseYAML } from 'yaml'
import { decodeEnvelope, ProtobufError } from './protobuf.js'
import { badRequest, StatusError, unsupportedMediaType } from './status.js'
import { statusBody } from '../errors.js'

const MAX_BODY = 3 * 1024 * 1024

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length
    if (size > MAX_BODY) throw new StatusError(statusBody(413, 'RequestEntityTooLarge', `the request body exceeds ${MAX_BODY} bytes`))
    chunks.push(c)
  }
  return Buffer.concat(chunks)
}

export const mediaType = (ct: string | undefined): string => (ct ?? '').split(';')[0].trim().toLowerCase()

export function parseJSON(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch (e) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`)
  }
}

export function parseYAMLBody(buf: Buffer): unknown {
  try {
    return parseYAML(buf.toString('utf8')) as unknown
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${(e as Error).message}`)
  }
}

const OBJECT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']

/** Decodes a create/update body by Content-Type, as the apiserver's negotiated serializers do. */
export function decodeObject(buf: Buffer, contentType: string | undefined): unknown {
  const mt = mediaType(contentType)
  if (mt === 'application/json' || mt === '') return parseJSON(buf)
  if (mt === 'application/yaml') return parseYAMLBody(buf)
  if (mt === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeEnvelope(buf)
    } catch (e) {
      if (e instanceof ProtobufError) throw badRequest(`the body of the request could not be decoded as protobuf: ${e.message}`)
      throw e
    }
  }
  throw unsupportedMediaType(mt, OBJECT_TYPES)
}
