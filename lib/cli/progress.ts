import { SingleBar } from 'cli-progress';

/**
 * A progress bar on stderr (stdout stays clean for ids and results). Without a terminal
 * (CI, pipes) it prints a plain line at most every two seconds instead.
 */
export function progressBar(
  label: string,
  total: number,
): { update(done: number): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let last = 0;
    let done = 0;
    const line = () => process.stderr.write(`${label}: ${done}/${total}\n`);
    return {
      update(value) {
        done = value;
        if (Date.now() - last >= 2_000) {
          last = Date.now();
          line();
        }
      },
      stop: line,
    };
  }
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {percentage}% | {duration_formatted}`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
