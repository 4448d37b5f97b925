/**
 * The shape of one entry of the attribute schema. Every attribute value in
 * berth is a string (as in confluent); the type says which strings are
 * accepted and how they are normalized before they are stored.
 */
export type AttributeType =
  | 'string' // one line of free text
  | 'text' // free text, may span lines (custom.*)
  | 'mac'
  | 'ipv4'
  | 'ipv4-cidr'
  | 'ipv4-list'
  | 'host' // hostname or IPv4 address
  | 'host-list'
  | 'hostname'
  | 'hostname-list'
  | 'domain'
  | 'domain-list'
  | 'boolean'
  | 'uuid'
  | 'integer'
  | 'enum'
  | 'crypt-hash'
  | 'grub-password-hash'
  | 'ssh-public-keys'
  | 'datetime'
  | 'deployment-arming'
  | 'profile-name'
  | 'timezone'
  | 'locale'
  | 'keymap'
  | 'url'; // http:// or https:// URL

export interface AttributeSpec {
  /**
   * The name, or a pattern: `<if>` stands for an interface name
   * (`net.<if>.hwaddr`), a trailing `*` for any suffix (`custom.*`).
   */
  readonly name: string;
  readonly type: AttributeType;
  /** Shown by `berth attributes`; written for the administrator. */
  readonly description: string;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** Inclusive bounds of an `integer`. */
  readonly min?: number;
  readonly max?: number;
  /** Never shown in clear, never usable in filters or expressions. */
  readonly secret?: boolean;
  /**
   * Set on nodes only, never inherited from a group: for values that berth
   * itself changes per node as they are used (`deployment.armed=once` is used
   * up by one node's key grant; a group's value could not be).
   */
  readonly nodeOnly?: boolean;
  /**
   * Names the machine itself (its MAC, its SMBIOS UUID): no two nodes may
   * share the value, a new value makes a new incarnation (incarnation.ts),
   * and it is never an expression, which would re-derive a physical address
   * from the node's name when it is renamed or regrouped.
   */
  readonly hardwareIdentity?: boolean;
  /**
   * Known but not applied by berth yet: what will apply it. Setting it is
   * refused with this reason (a value stored and silently ignored is a
   * setting that does not apply); reading and unsetting still work. The
   * change that makes it take effect deletes this line.
   */
  readonly planned?: string;
  readonly example?: string;
}
