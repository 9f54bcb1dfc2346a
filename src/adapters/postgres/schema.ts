import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, char, check, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const incidents = pgTable(
  'incidents',
  {
    id: serial('id').primaryKey(),
    requestKey: text('request_key').notNull(),
    title: text('title').notNull(),
    severity: text('severity').notNull(),
    status: text('status').notNull().default('open'),
    customerImpact: text('customer_impact'),
    service: text('service'),
    isPrivate: boolean('is_private').notNull().default(false),
    /** The declaring Slack user id, or the integration's source id (see declarer_kind). */
    declaredBy: text('declared_by').notNull(),
    /** `user` or `integration` (domain/declarer.ts). */
    declarerKind: text('declarer_kind').notNull().default('user'),
    /** An integration's display name; null for a user. */
    declarerName: text('declarer_name'),
    /** An integration's link (the monitor that declared it); null for a user. */
    declarerLink: text('declarer_link'),
    declaredAt: ts('declared_at').notNull(),
    originChannel: text('origin_channel'),
    roles: jsonb('roles').notNull().default(sql`'{}'::jsonb`),
    lastStatus: text('last_status'),
    resolvedAt: ts('resolved_at'),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
    version: integer('version').notNull().default(1),
    // War-room setup progress, one column per step (see app/setup-war-room.ts).
    channelName: text('channel_name'),
    channelId: text('channel_id'),
    topicSet: boolean('topic_set').notNull().default(false),
    invited: boolean('invited').notNull().default(false),
    headerTs: text('header_ts'),
    pinned: boolean('pinned').notNull().default(false),
    announceChannelId: text('announce_channel_id'),
    announceTs: text('announce_ts'),
    readyAt: ts('ready_at'),
    // Response and escalation (issue 4).
    acknowledgedAt: ts('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
    responseHow: text('response_how'),
    // bigint: an acknowledgement may come weeks after the declaration (int4 ms ends at 24.8 days).
    responseMs: bigint('response_ms', { mode: 'number' }),
    /** The fencing token: bumped by acknowledge, severity change and resolve. */
    escGeneration: integer('esc_generation').notNull().default(1),
    clockStart: ts('clock_start'),
    clockDeferredFrom: text('clock_deferred_from'),
    pagedServices: jsonb('paged_services').notNull().default(sql`'[]'::jsonb`),
    lastStatusAt: ts('last_status_at'),
    /** Bumped by every status update: a nudge timer of an older sequence does nothing. */
    statusSeq: integer('status_seq').notNull().default(0),
    nextNudgeAt: ts('next_nudge_at'),
    /** The incident version the Slack views last showed; a sync with nothing newer is skipped. */
    renderedVersion: integer('rendered_version').notNull().default(0),
    failedAt: ts('failed_at'),
  },
  (t) => [
    uniqueIndex('incidents_request_key_uq').on(t.requestKey),
    uniqueIndex('incidents_channel_id_uq').on(t.channelId),
    index('incidents_open_idx').on(t.status, t.severity),
    check('incidents_declarer_ck', sql`(${t.declarerKind} = 'user' and ${t.declarerName} is null) or (${t.declarerKind} = 'integration' and ${t.declarerName} is not null)`),
  ],
);

/**
 * The audit inbox: a change's transaction inserts its audit event here, unchained and without a
 * lock, so concurrent changes no longer queue behind one another. At commit a deferred trigger
 * numbers the transaction's events (`ord`, holding a shared advisory lock until the commit is
 * done), so `ord` follows commit order: a change made after another under the same row lock
 * always sorts after it. The sealer (audit-sealer.ts) chains events in `ord` order once no
 * transaction is between numbering and commit (see migration 0011). `id` starts above the
 * chain's last seq, so work-item keys made from ids stay unique.
 */
export const auditInbox = pgTable(
  'audit_inbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Commit order, set by the deferred trigger; null only while the transaction runs. */
    ord: bigint('ord', { mode: 'number' }),
    occurredAt: ts('occurred_at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    incidentId: integer('incident_id'),
    subject: text('subject').notNull(),
    data: jsonb('data'),
    /** When the row was written (the database's clock). */
    insertedAt: timestamp('inserted_at', { withTimezone: true, precision: 3 }).notNull().default(sql`clock_timestamp()`),
    /**
     * When its transaction committed (set with `ord` by the trigger): the sealing lag is measured
     * from here, since nothing can be sealed before it commits.
     */
    committedAt: timestamp('committed_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('audit_inbox_ord_idx').on(t.ord), index('audit_inbox_incident_idx').on(t.incidentId)],
);

/** Append-only, hash-chained; triggers (migration 0001) refuse UPDATE, DELETE and TRUNCATE. */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    occurredAt: ts('occurred_at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    incidentId: integer('incident_id'),
    subject: text('subject').notNull(),
    data: jsonb('data'),
    prevHash: char('prev_hash', { length: 64 }).notNull(),
    hash: char('hash', { length: 64 }).notNull(),
  },
  (t) => [index('audit_events_incident_idx').on(t.incidentId, t.seq)],
);

/** The outbox: work recorded with the change that needs it, then run by the queue. */
export const workItems = pgTable(
  'work_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    runAt: ts('run_at').notNull().defaultNow(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('work_items_dedupe_uq').on(t.dedupeKey), index('work_items_pending_idx').on(t.status, t.runAt)],
);

export const deployRequests = pgTable(
  'deploy_requests',
  {
    id: serial('id').primaryKey(),
    type: text('type').notNull(),
    service: text('service').notNull(),
    summary: text('summary').notNull(),
    requestedBy: text('requested_by').notNull(),
    requestedAt: ts('requested_at').notNull(),
    forAt: ts('for_at').notNull(),
    session: text('session').notNull(),
    risk: text('risk').notNull(),
    windowName: text('window_name').notNull(),
    windowEnds: ts('window_ends').notNull(),
    capacities: jsonb('capacities').notNull(),
    grants: jsonb('grants').notNull().default(sql`'[]'::jsonb`),
    freezeIncidentId: integer('freeze_incident_id'),
    status: text('status').notNull().default('pending'),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    validFrom: ts('valid_from'),
    expiresAt: ts('expires_at'),
    cardChannelId: text('card_channel_id'),
    cardTs: text('card_ts'),
  },
  (t) => [index('deploy_requests_grant_idx').on(t.service, t.type, t.status, t.expiresAt)],
);

/** One rung of an incident's escalation ladder; fired at most once per (incident, generation, step). */
export const escalationSteps = pgTable(
  'escalation_steps',
  {
    id: serial('id').primaryKey(),
    incidentId: integer('incident_id').notNull(),
    generation: integer('generation').notNull(),
    stepIndex: integer('step_index').notNull(),
    severity: text('severity').notNull(),
    dueAt: ts('due_at').notNull(),
    always: boolean('always').notNull(),
    actions: jsonb('actions').notNull(),
    /** pending → claimed → sent | partial | failed; or skipped / cancelled. */
    status: text('status').notNull().default('pending'),
    claimedAt: ts('claimed_at'),
    firedAt: ts('fired_at'),
    latenessMs: bigint('lateness_ms', { mode: 'number' }),
    doneAt: ts('done_at'),
    outcome: jsonb('outcome'),
  },
  (t) => [uniqueIndex('escalation_steps_uq').on(t.incidentId, t.generation, t.stepIndex), index('escalation_steps_status_idx').on(t.status, t.dueAt)],
);

/** One delivery to one recipient: a retried step skips recipients already reached. */
export const deliveries = pgTable(
  'deliveries',
  {
    id: serial('id').primaryKey(),
    stepId: integer('step_id').notNull(),
    channel: text('channel').notNull(),
    recipient: text('recipient').notNull(),
    status: text('status').notNull(),
    detail: text('detail'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('deliveries_uq').on(t.stepId, t.channel, t.recipient)],
);

/** The Sev1 regulatory checklist card in the compliance channel. */
export const regulatoryChecklists = pgTable('regulatory_checklists', {
  incidentId: integer('incident_id').primaryKey(),
  dueAt: ts('due_at').notNull(),
  items: jsonb('items').notNull(),
  channelId: text('channel_id'),
  ts: text('ts'),
  remindedAt: ts('reminded_at'),
  completedAt: ts('completed_at'),
});

/** One run of a compliance task for one date; the unique key makes planning idempotent. */
export const complianceRuns = pgTable(
  'compliance_runs',
  {
    id: serial('id').primaryKey(),
    taskId: text('task_id').notNull(),
    date: text('date').notNull(),
    opensAt: ts('opens_at').notNull(),
    warnAt: ts('warn_at').notNull(),
    dueAt: ts('due_at').notNull(),
    /** scheduled → open → done | missed (→ done, late) | failed */
    status: text('status').notNull().default('scheduled'),
    openedAt: ts('opened_at'),
    warnedAt: ts('warned_at'),
    missedAt: ts('missed_at'),
    doneAt: ts('done_at'),
    doneBy: text('done_by'),
    evidence: text('evidence'),
    note: text('note'),
    problemAt: ts('problem_at'),
    problemNote: text('problem_note'),
    channelId: text('channel_id'),
    cardTs: text('card_ts'),
  },
  (t) => [uniqueIndex('compliance_runs_uq').on(t.taskId, t.date), index('compliance_runs_date_idx').on(t.date), index('compliance_runs_status_idx').on(t.status)],
);

/** The daily digest, once per date. */
export const complianceDigests = pgTable('compliance_digests', {
  date: text('date').primaryKey(),
  dueAt: ts('due_at').notNull(),
  postedAt: ts('posted_at'),
});

/**
 * Every inbound alert accepted (issue 11): normalised fields, the payload as sent, the route it
 * took, what was done and the incident it joined. The unique key makes a resend a no-op.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull(),
    dedupKey: text('dedup_key').notNull(),
    /** Alertmanager's startsAt; '' when the source has no occurrence (generic without started_at). */
    occurrence: text('occurrence').notNull(),
    status: text('status').notNull(),
    title: text('title').notNull(),
    severity: text('severity').notNull(),
    service: text('service'),
    labels: jsonb('labels').notNull(),
    link: text('link'),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at'),
    raw: jsonb('raw').notNull(),
    receivedAt: ts('received_at').notNull(),
    route: text('route').notNull(),
    /** declared | joined | attached | dropped | resolved | resolved_unmatched */
    action: text('action').notNull(),
    groupKey: text('group_key').notNull(),
    incidentId: integer('incident_id'),
    /** When a war-room alert post claimed it, and that post's key (alerts.post job's dedupe key). */
    postedAt: ts('posted_at'),
    postKey: text('post_key'),
    /** The triage post it is listed on (a `triage` route, or `attach` with nothing open). */
    triageId: integer('triage_id'),
  },
  (t) => [
    index('alerts_triage_idx').on(t.triageId),
    uniqueIndex('alerts_dedupe_uq').on(t.source, t.dedupKey, t.status, t.occurrence),
    index('alerts_group_idx').on(t.groupKey, t.receivedAt),
    index('alerts_incident_idx').on(t.incidentId, t.postedAt),
    index('alerts_post_key_idx').on(t.postKey),
  ],
);

/**
 * A group of alerts waiting for a human in the triage channel: **Declare**, **Attach to INC-n…**
 * or **Dismiss**. `version` counts changes, `rendered_version` what the post shows; the row lock
 * orders a batch joining it against the render claiming it.
 */
export const alertTriage = pgTable(
  'alert_triage',
  {
    id: serial('id').primaryKey(),
    groupKey: text('group_key').notNull(),
    route: text('route').notNull(),
    /** The channel's name (from the policy) and, once posted, its id and the post's ts. */
    channel: text('channel').notNull(),
    channelId: text('channel_id'),
    ts: text('ts'),
    title: text('title').notNull(),
    /** What **Declare** declares. */
    severity: text('severity').notNull(),
    service: text('service'),
    /** open | declared | attached | dismissed */
    status: text('status').notNull().default('open'),
    incidentId: integer('incident_id'),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    createdAt: ts('created_at').notNull(),
    lastAlertAt: ts('last_alert_at').notNull(),
    version: integer('version').notNull().default(1),
    renderedVersion: integer('rendered_version').notNull().default(0),
  },
  (t) => [index('alert_triage_group_idx').on(t.groupKey, t.lastAlertAt)],
);

/**
 * Every PagerDuty webhook (v3) delivery, once per `X-Webhook-Id`: a redelivery finds its row and
 * does nothing. Written in the transaction of whatever the event causes (an acknowledgement).
 */
export const pagerdutyWebhooks = pgTable(
  'pagerduty_webhooks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    webhookId: text('webhook_id').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** PagerDuty's incident id (e.g. PGR0VU2) and incident_key, when the event is about an incident. */
    pdIncidentId: text('pd_incident_id'),
    incidentKey: text('incident_key'),
    /** The warroom incident the event matched (its incident_key is warroom-INC-<id>), else null. */
    incidentId: integer('incident_id'),
    /** What warroom did with it (app/pagerduty-webhook.ts WebhookOutcome). */
    outcome: text('outcome').notNull(),
    payload: jsonb('payload').notNull(),
    receivedAt: ts('received_at').notNull(),
  },
  (t) => [uniqueIndex('pagerduty_webhooks_webhook_id_uq').on(t.webhookId), index('pagerduty_webhooks_incident_idx').on(t.incidentId)],
);
