/**
 * Writes a simulated shop's events as JSONL (one event object a line, as `POST /v1/events` and
 * `churnwatch replay` take them), straight from the generator: 10,000 users × 180 days is about
 * two million events, so nothing is held in memory beyond one chunk and the stream's buffer.
 */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Lines are joined into chunks of about this many characters before they are written. */
const CHUNK_CHARS = 256 * 1024;

export interface JsonlWriteResult {
  /** Lines written, one event each. */
  readonly events: number;
  /** File size. */
  readonly bytes: number;
}

/** Called after every chunk with the events written so far. */
export type JsonlProgress = (events: number) => void;

/**
 * Streams `events` to `file` (created or truncated; with `append`, added at its end), honouring
 * the file stream's backpressure.
 * @returns how many events and bytes were written by this call.
 */
export async function writeEventsJsonl(
  events: Iterable<unknown>,
  file: string,
  onProgress?: JsonlProgress,
  options: { readonly append?: boolean } = {},
): Promise<JsonlWriteResult> {
  let count = 0;
  let bytes = 0;
  function* chunks(): Generator<string> {
    let chunk = "";
    for (const event of events) {
      chunk += `${JSON.stringify(event)}\n`;
      count += 1;
      if (chunk.length >= CHUNK_CHARS) {
        bytes += Buffer.byteLength(chunk);
        yield chunk;
        chunk = "";
        onProgress?.(count);
      }
    }
    if (chunk !== "") {
      bytes += Buffer.byteLength(chunk);
      yield chunk;
    }
    onProgress?.(count);
  }
  await pipeline(
    Readable.from(chunks()),
    createWriteStream(file, { flags: options.append ? "a" : "w" }),
  );
  return { events: count, bytes };
}
