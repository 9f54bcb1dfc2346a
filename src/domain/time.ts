import { DateTime } from 'luxon';

/** `Fri 27 Nov 13:30 ET`: how people on the desk read times. */
export function formatDesk(at: Date, zone: string): string {
  const dt = DateTime.fromJSDate(at, { zone });
  return `${dt.toFormat('ccc d LLL HH:mm')} ${zoneAbbrev(zone)}`;
}

/** `13:30:05 ET` */
export function formatClock(at: Date, zone: string): string {
  return `${DateTime.fromJSDate(at, { zone }).toFormat('HH:mm:ss')} ${zoneAbbrev(zone)}`;
}

function zoneAbbrev(zone: string): string {
  return zone === 'America/New_York' ? 'ET' : zone;
}
