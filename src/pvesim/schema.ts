import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One property of PVE's JSON-Schema dialect (see proxmox-api.md §12). */
export interface PveProp {
  type?: string;
  optional?: number;
  format?: string | Record<string, PveProp & { alias?: string; keyAlias?: string; default_key?: number }>;
  enum?: string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  default?: unknown;
  alias?: string;
  keyAlias?: string;
  default_key?: number;
  properties?: Record<string, PveProp>;
  items?: PveProp;
  additionalProperties?: number | boolean | PveProp;
}

export interface PveMethodInfo {
  parameters?: PveProp;
  returns?: PveProp;
  allowtoken?: number;
  protected?: number;
  permissions?: unknown;
}

export type PveApiSchema = Record<string, { info: Partial<Record<string, PveMethodInfo>> }>;

/**
 * The simulator ships its copy of shared/reference/pve-api-schema.json, gzipped, beside this module's source
 * (a unit test keeps it identical to the reference). Built code in dist/src/pvesim finds it in src/pvesim.
 */
export const SCHEMA_FILE_NAME = 'pve-api-schema.json.gz';

export function defaultSchemaFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, SCHEMA_FILE_NAME), path.resolve(here, '../../../src/pvesim', SCHEMA_FILE_NAME)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`the PVE API schema ${SCHEMA_FILE_NAME} is missing (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: PveApiSchema | undefined;

/** Loads the parsed official API schema once. */
export function loadSchema(file?: string): PveApiSchema {
  if (!cached) {
    const raw = readFileSync(file ?? defaultSchemaFile());
    cached = JSON.parse((raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8')) as PveApiSchema;
  }
  return cached;
}

const BOOL_TRUE = new Set(['1', 'true', 'yes', 'on']);
const BOOL_FALSE = new Set(['0', 'false', 'no', 'off']);

/** The definition for a parameter name, honouring `name[n]` keys. */
function lookupProp(props: Record<string, PveProp>, name: string): PveProp | undefined {
  if (Object.hasOwn(props, name)) return props[name];
  const m = /^([a-z_-]+?)(\d+)$/i.exec(name);
  if (m) return props[`${m[1]}[n]`];
  return undefined;
}

/** Checks one scalar value against a property definition; returns PVE's message or undefined. */
export function checkValue(prop: PveProp, value: string): string | undefined {
  const type = prop.type ?? 'string';
  if (type === 'integer') {
    if (!/^-?\d+$/.test(value)) return `type check ('integer') failed - got '${value}'`;
  } else if (type === 'number') {
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return `type check ('number') failed - got '${value}'`;
  } else if (type === 'boolean') {
    if (!BOOL_TRUE.has(value.toLowerCase()) && !BOOL_FALSE.has(value.toLowerCase())) {
      return `type check ('boolean') failed - got '${value}'`;
    }
    return undefined;
  }
  if (type === 'integer' || type === 'number') {
    const n = Number(value);
    if (prop.minimum !== undefined && n < prop.minimum) return `value must have a minimum value of ${prop.minimum}`;
    if (prop.maximum !== undefined && n > prop.maximum) return `value must have a maximum value of ${prop.maximum}`;
  }
  if (prop.enum && !prop.enum.includes(value)) {
    return `value '${value}' does not have a value in the enumeration '${prop.enum.join(', ')}'`;
  }
  if (type === 'string') {
    if (prop.maxLength !== undefined && value.length > prop.maxLength) return `value may only be ${prop.maxLength} characters long`;
    if (prop.minLength !== undefined && value.length < prop.minLength) return `value must be at least ${prop.minLength} characters long`;
    if (prop.pattern && !new RegExp(`^(?:${prop.pattern})$`).test(value)) {
      return `value does not match the regex pattern`;
    }
  }
  if (typeof prop.format === 'string') return checkNamedFormat(prop.format, value);
  if (prop.format && typeof prop.format === 'object') return checkPropertyString(prop.format, value);
  return undefined;
}

const TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;

function checkNamedFormat(format: string, value: string): string | undefined {
  const bad = `value does not match the regex pattern`;
  switch (format) {
    case 'pve-node':
      return /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(value) ? undefined : `invalid format - value does not look like a valid node name`;
    case 'pve-vmid':
      return /^[1-9]\d{2,8}$/.test(value) ? undefined : `invalid format - value does not look like a valid VM ID`;
    case 'pve-storage-id':
    case 'pve-poolid':
      return /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(value) ? undefined : `invalid format - ${format === 'pve-poolid' ? 'pool' : 'storage'} ID '${value}' contains illegal characters`;
    case 'pve-tag-list':
      return value.split(/[,; ]+/).filter(Boolean).every((t) => TAG.test(t)) ? undefined : `invalid format - invalid tag`;
    case 'pve-configid-list':
      return value.split(/[,; \0]+/).filter(Boolean).every((t) => /^[a-z][a-z_\-0-9]*$/i.test(t)) ? undefined : `invalid format - invalid configuration ID`;
    case 'pve-configid':
      return /^[a-z][a-z_\-0-9]*$/i.test(value) ? undefined : bad;
    case 'mac-addr':
      return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(value) ? undefined : `invalid format - value does not look like a valid MAC address`;
    case 'pve-bridge-id':
      return /^[-_.\w\d]+$/.test(value) ? undefined : `invalid format - bridge name`;
    default:
      return undefined;
  }
}

/** Validates a PVE property string (`[model=]virtio,bridge=vmbr0`) against its format map. */
export function checkPropertyString(format: Record<string, PveProp>, value: string): string | undefined {
  const defaultKey = Object.keys(format).find((k) => format[k]?.default_key);
  for (const part of value.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key: string;
    let val: string;
    if (eq < 0) {
      if (!defaultKey) return `invalid format - value without key, but schema does not define a default key`;
      key = defaultKey;
      val = part;
    } else {
      key = part.slice(0, eq);
      val = part.slice(eq + 1);
    }
    const def = format[key];
    if (!def) return `invalid format - property '${key}' is not defined in schema`;
    if (def.alias) {
      const target = format[def.alias];
      if (target) {
        const err = checkValue(target, val);
        if (err) return `invalid format - ${def.alias}: ${err}`;
      }
      continue;
    }
    const err = checkValue(def, val);
    if (err) return `invalid format - ${key}: ${err}`;
  }
  return undefined;
}

/**
 * Validates request parameters (all strings, arrays for repeated keys) against a method's `parameters`.
 * Returns PVE's per-parameter messages, empty when valid.
 */
export function validateParams(params: Record<string, string | string[]>, def: PveProp | undefined): Record<string, string> {
  const errors: Record<string, string> = {};
  const props = def?.properties ?? {};
  for (const [name, raw] of Object.entries(params)) {
    const prop = lookupProp(props, name);
    if (!prop) {
      if (def?.additionalProperties === 0 || def?.additionalProperties === false || def?.additionalProperties === undefined) {
        errors[name] = 'property is not defined in schema and the schema does not allow additional properties';
      }
      continue;
    }
    if (Array.isArray(raw) && prop.type !== 'array') {
      errors[name] = 'property may not be repeated';
      continue;
    }
    const values = Array.isArray(raw) ? raw : [raw];
    const itemProp = prop.type === 'array' ? (prop.items ?? { type: 'string' }) : prop;
    for (const v of values) {
      const err = checkValue(itemProp, v);
      if (err) {
        errors[name] = err;
        break;
      }
    }
  }
  for (const [name, prop] of Object.entries(props)) {
    if (name.includes('[n]') || prop.optional) continue;
    if (!(name in params)) errors[name] = 'property is missing and it is not optional';
  }
  return errors;
}

/** Reads a boolean parameter the way PVE does (1/true/yes/on). */
export function parseBool(value: string | string[] | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = (Array.isArray(value) ? value[0] : value)!.toLowerCase();
  return BOOL_TRUE.has(v);
}
