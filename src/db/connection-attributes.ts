/** Guacamole connection attributes that link a connection to its VM (written by sync, read by the portal and the console). */
export const ATTR_VM_ID = 'earcandle-vm-id';
export const ATTR_KIND = 'earcandle-kind';
/** The entity sync granted READ to, so that sync only ever revokes its own grants. */
export const ATTR_OWNER_GRANT = 'earcandle-owner-grant';
