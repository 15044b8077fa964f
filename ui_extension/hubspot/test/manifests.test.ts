// Every JSON manifest the project ships is checked against a schema the project keeps
// (plugin_manifest/schema), so a typo in a scope, a card location or a field type fails here
// rather than at `hs project upload` or a Salesforce deploy.
import Ajv from 'ajv';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');
const read = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8'));
const schema = (name: string) => read(`plugin_manifest/schema/${name}`);

function files(dir: string, suffix: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir))) {
    const p = join(dir, e);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...files(p, suffix));
    else if (p.endsWith(suffix)) out.push(p);
  }
  return out;
}

function check(schemaName: string, file: string) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema(schemaName));
  const ok = validate(read(file));
  expect(ok, `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

describe('manifests', () => {
  it('hsproject.json', () => check('hsproject.schema.json', 'plugin_manifest/hubspot/hsproject.json'));

  const hsmeta = files('plugin_manifest/hubspot/src', '-hsmeta.json');
  it('finds the app, the card and the webhooks', () => expect(hsmeta.length).toBe(3));
  for (const f of hsmeta) it(f, () => check('hsmeta.schema.json', f));

  it('HubSpot properties', () =>
    check('hubspot-properties.schema.json', 'plugin_manifest/hubspot/properties/churnguard-properties.json'));
  it('Salesforce fields', () => check('salesforce-fields.schema.json', 'plugin_manifest/salesforce/churnguard-fields.json'));

  it('the card entrypoint exists in the card sources', () => {
    const card = read('plugin_manifest/hubspot/src/app/cards/churn-risk-card-hsmeta.json');
    const file = card.config.entrypoint.replace('/app/cards/', '');
    expect(statSync(join(ROOT, 'ui_extension/hubspot/src', file)).isFile()).toBe(true);
  });

  it('a schema rejects what it should', () => {
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(schema('hsmeta.schema.json'));
    expect(validate({ uid: 'x', type: 'card', config: { name: 'x', location: 'crm.record.middle', entrypoint: '/app/cards/X.tsx', objectTypes: ['companies'] } })).toBe(false);
  });
});
