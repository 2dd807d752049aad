/**
 * The request context that travels with every RPC message (oslo.context's RequestContext, trimmed):
 * who asked (user, project, roles, admin) and the request id that ties the logs of every service
 * together.
 */
import { v4 as uuidv4 } from 'uuid';
import { InvalidRpcMessageError } from './errors';

export interface RequestContextFields {
  /** `req-<uuid>` as in OpenStack; generated when absent. */
  readonly requestId?: string;
  /** The request id of the original API request when this one was spawned by it. */
  readonly globalRequestId?: string | null;
  readonly userId?: string | null;
  readonly projectId?: string | null;
  readonly roles?: readonly string[];
  readonly isAdmin?: boolean;
  /** 'no' | 'yes' | 'only' as in Nova/Cinder. @default 'no' */
  readonly readDeleted?: 'no' | 'yes' | 'only';
}

/** The JSON shape on the wire (camelCase keys, no undefined). */
export interface SerializedRequestContext {
  readonly requestId: string;
  readonly globalRequestId: string | null;
  readonly userId: string | null;
  readonly projectId: string | null;
  readonly roles: string[];
  readonly isAdmin: boolean;
  readonly readDeleted: 'no' | 'yes' | 'only';
}

export function generateRequestId(): string {
  return `req-${uuidv4()}`;
}

export class RequestContext {
  readonly requestId: string;
  readonly globalRequestId: string | null;
  readonly userId: string | null;
  readonly projectId: string | null;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  readonly readDeleted: 'no' | 'yes' | 'only';

  constructor(fields: RequestContextFields = {}) {
    this.requestId = fields.requestId ?? generateRequestId();
    this.globalRequestId = fields.globalRequestId ?? null;
    this.userId = fields.userId ?? null;
    this.projectId = fields.projectId ?? null;
    this.roles = Object.freeze([...(fields.roles ?? [])]);
    this.isAdmin = fields.isAdmin ?? this.roles.includes('admin');
    this.readDeleted = fields.readDeleted ?? 'no';
  }

  /** An admin context for the service's own work (periodic tasks, heartbeats): no user, no project. */
  static admin(fields: Omit<RequestContextFields, 'isAdmin'> = {}): RequestContext {
    return new RequestContext({ ...fields, isAdmin: true });
  }

  /** A copy with admin rights, keeping the request id (oslo `elevated()`). */
  elevated(): RequestContext {
    return new RequestContext({
      ...this.toDict(),
      isAdmin: true,
      roles: [...new Set([...this.roles, 'admin'])],
    });
  }

  toDict(): SerializedRequestContext {
    return {
      requestId: this.requestId,
      globalRequestId: this.globalRequestId,
      userId: this.userId,
      projectId: this.projectId,
      roles: [...this.roles],
      isAdmin: this.isAdmin,
      readDeleted: this.readDeleted,
    };
  }

  /** Rebuild from the wire; a malformed context is a clear error, not a half-built object. */
  static fromDict(raw: Record<string, unknown>): RequestContext {
    if (raw === null || typeof raw !== 'object')
      throw new InvalidRpcMessageError('context must be an object');
    const str = (key: string): string | null | undefined => {
      const v = raw[key];
      if (v === undefined || v === null) return v as null | undefined;
      if (typeof v !== 'string') throw new InvalidRpcMessageError(`context.${key} must be a string`);
      return v;
    };
    const roles = raw['roles'];
    if (roles !== undefined && (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string'))) {
      throw new InvalidRpcMessageError('context.roles must be an array of strings');
    }
    const isAdmin = raw['isAdmin'];
    if (isAdmin !== undefined && typeof isAdmin !== 'boolean') {
      throw new InvalidRpcMessageError('context.isAdmin must be a boolean');
    }
    const readDeleted = raw['readDeleted'];
    if (
      readDeleted !== undefined &&
      readDeleted !== 'no' &&
      readDeleted !== 'yes' &&
      readDeleted !== 'only'
    ) {
      throw new InvalidRpcMessageError("context.readDeleted must be 'no', 'yes' or 'only'");
    }
    return new RequestContext({
      requestId: str('requestId') ?? undefined,
      globalRequestId: str('globalRequestId'),
      userId: str('userId'),
      projectId: str('projectId'),
      roles: roles as string[] | undefined,
      isAdmin: isAdmin as boolean | undefined,
      readDeleted: readDeleted as 'no' | 'yes' | 'only' | undefined,
    });
  }
}
