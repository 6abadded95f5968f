import type { Socket } from 'node:net';

/** Everything a server sends on a raw connection until it closes it, as Latin-1 text (bytes kept). */
export function receivedUntilClose(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(received));
  });
}
