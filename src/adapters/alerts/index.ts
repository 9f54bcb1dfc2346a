import type { AlertSource } from '../../app/ports/alert-source.js';
import { alertmanagerSource } from './alertmanager.js';
import { datadogSource } from './datadog.js';
import { genericSource } from './generic.js';

/** The alert senders warroom understands: `/api/v1/alerts/<name>` each. */
export function alertSources(): AlertSource[] {
  return [alertmanagerSource, datadogSource, genericSource];
}
