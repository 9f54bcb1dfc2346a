/**
 * Colour only for a person at a terminal: not when the output is piped or saved to a file, and
 * never when NO_COLOR is set to anything but the empty string (https://no-color.org).
 */
export function useColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && !env['NO_COLOR'];
}
