// Invitations: the type and the store contract adapters implement.
export type InvitationRole = 'member' | 'admin';
export const INVITATION_ROLES: readonly InvitationRole[] = ['member', 'admin'];

export type Invitation = {
  id: string;
  organizationId: string;
  businessGroupId: string;
  email: string;
  role: InvitationRole;
  /** Account id or client id of whoever sent it. */
  invitedBy: string;
  createdAt: Date;
  sentAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  acceptedBy: string | null;
  revokedAt: Date | null;
};

export type InvitationStatus = 'pending' | 'expired' | 'accepted' | 'revoked';

export function invitationStatus(invitation: Invitation, now: Date): InvitationStatus {
  if (invitation.revokedAt) return 'revoked';
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'pending';
}

export type InvitationStore = {
  create(input: Omit<Invitation, 'id' | 'createdAt' | 'acceptedAt' | 'acceptedBy' | 'revokedAt'> & { tokenHash: string }): Promise<Invitation>;
  find(id: string): Promise<Invitation | undefined>;
  findByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
  /** Newest first; `pendingOnly` leaves out accepted, revoked and expired ones. */
  list(organizationId: string, query: { pendingOnly: boolean; withinNodes?: string[]; before?: string; limit: number }): Promise<Invitation[]>;
  /** A new link (token) and a new week; the old link stops working. */
  renew(id: string, input: { tokenHash: string; sentAt: Date; expiresAt: Date }): Promise<void>;
  revoke(id: string): Promise<void>;
  remove(id: string): Promise<void>;
};
