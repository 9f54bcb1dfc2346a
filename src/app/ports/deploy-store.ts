import type { Capacity, DeployType, Freeze, Grant } from '../../domain/deploy-rules.js';
import type { WorkItem } from '../jobs/catalog.js';
import type { AuditEntry } from './audit.js';

export type DeployRequestStatus = 'pending' | 'approved' | 'denied';

export interface DeployRequest {
  id: number;
  type: DeployType;
  service: string;
  summary: string;
  requestedBy: string;
  requestedAt: Date;
  forAt: Date;
  session: string;
  risk: string;
  windowName: string;
  windowEnds: Date;
  capacities: Capacity[];
  grants: Array<Grant & { at: string }>;
  freezeIncidentId: number | null;
  status: DeployRequestStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  validFrom: Date | null;
  expiresAt: Date | null;
  cardChannelId: string | null;
  cardTs: string | null;
}

export type NewDeployRequest = Omit<DeployRequest, 'id' | 'grants' | 'status' | 'decidedBy' | 'decidedAt' | 'validFrom' | 'expiresAt' | 'cardChannelId' | 'cardTs'>;

export interface DeployTx {
  insertRequest(r: NewDeployRequest): Promise<DeployRequest>;
  lockRequest(id: number): Promise<DeployRequest | null>;
  saveRequest(r: DeployRequest): Promise<void>;
  audit(entry: AuditEntry): Promise<number>;
  enqueue(item: WorkItem): Promise<void>;
}

export interface DeployStore {
  transaction<T>(fn: (tx: DeployTx) => Promise<T>): Promise<T>;
  /** Open incidents of the given severities: what freezes deploys. */
  freezes(severities: string[]): Promise<Freeze[]>;
  /**
   * What a gate answer needs, in one read: the freeze that decides (the first `freezes` would
   * give, alone) and the approvals for this service and type valid at `at`.
   */
  gateFacts(severities: string[], service: string, type: DeployType, at: Date): Promise<{ freezes: Freeze[]; grants: Grant[]; requestId: number | null }>;
  get(id: number): Promise<DeployRequest | null>;
  recordCard(id: number, channelId: string, ts: string): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
  /** Runs `fn` holding the request's render lock. */
  exclusive<T>(requestId: number, fn: () => Promise<T>): Promise<T>;
}
