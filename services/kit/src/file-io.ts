/**
 * Positional writes that finish: `FileHandle.write` may write fewer bytes than asked, so every writer of
 * large files (streamed store objects, the gpu-worker's error-feedback state) loops the same way.
 */
import type { FileHandle } from 'node:fs/promises';

/** Write all of `bytes` at `position` of `file`. */
export async function writeFully(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    at += (await file.write(bytes, at, bytes.length - at, position + at)).bytesWritten;
  }
}
