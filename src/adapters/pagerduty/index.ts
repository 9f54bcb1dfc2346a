import type { Pager } from '../../app/ports/pager.js';
import { PagerDutyPager, type PagerDutyPagerOptions } from './pagerduty-pager.js';

export { PagerDutyPager, type PagerDutyPagerOptions } from './pagerduty-pager.js';

/** The PagerDuty adapter as the composition root builds it: the {@link Pager} port, and `close`. */
export function pagerDuty(opts: { eventsUrl?: string | undefined; routingKeys?: Record<string, string> | undefined; ca?: string | undefined }): Pager & { close(): void } {
  const o: PagerDutyPagerOptions = { routingKeys: opts.routingKeys ?? {} };
  if (opts.eventsUrl) o.eventsUrl = opts.eventsUrl;
  if (opts.ca) o.ca = opts.ca;
  return new PagerDutyPager(o);
}
