// The CRM field contract is named in five places: the daemon (connectors/api/fields.hpp), the
// manifests (HubSpot properties, Salesforce field definitions and the generated SFDX metadata),
// the HubSpot card, the Lightning component, and the Salesforce Flow. This fails if any of them
// names a field the others do not.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PROPERTY_NAMES } from '../src/churnguard';

const ROOT = resolve(__dirname, '../../..');
const text = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const json = (p: string) => JSON.parse(text(p));
const sorted = (s: Iterable<string>) => [...new Set(s)].sort();
const matches = (src: string, re: RegExp) => sorted([...src.matchAll(re)].map((m) => m[1]));

// The daemon's table: {"risk_score", "churnguard_risk_score", "ChurnGuard_Risk_Score__c"}
const daemon = [...text('connectors/api/fields.hpp').matchAll(/\{"(\w+)", "(churnguard_\w+)", "(ChurnGuard_\w+__c)"\}/g)];
const DAEMON_HUBSPOT = sorted(daemon.map((m) => m[2]));
const DAEMON_SALESFORCE = sorted(daemon.map((m) => m[3]));
const SFDX = 'plugin_manifest/salesforce/force-app/main/default';

describe('the field contract', () => {
  it('is read from the daemon', () => expect(DAEMON_HUBSPOT.length).toBe(11));

  it('HubSpot property definitions = the daemon', () =>
    expect(sorted(json('plugin_manifest/hubspot/properties/churnguard-properties.json').properties.map((p: { name: string }) => p.name))).toEqual(DAEMON_HUBSPOT));

  it('the HubSpot card reads exactly the contract, and names no other churnguard_ property', () => {
    expect(sorted(PROPERTY_NAMES)).toEqual(DAEMON_HUBSPOT);
    const src = text('ui_extension/hubspot/src/churnguard.ts') + text('ui_extension/hubspot/src/ChurnRiskCard.tsx');
    for (const name of matches(src, /\b(churnguard_[a-z_]+)\b/g)) expect(DAEMON_HUBSPOT).toContain(name);
  });

  it('Salesforce field definitions = the daemon', () =>
    expect(sorted(json('plugin_manifest/salesforce/churnguard-fields.json').fields.map((f: { name: string }) => f.name))).toEqual(DAEMON_SALESFORCE));

  for (const object of ['Account', 'Contact']) {
    it(`SFDX CustomField files on ${object} = the daemon`, () =>
      expect(sorted(readdirSync(join(ROOT, SFDX, 'objects', object, 'fields')).map((f) => f.replace('.field-meta.xml', '')))).toEqual(DAEMON_SALESFORCE));
  }

  it('the permission set grants every field on both objects, and nothing else', () => {
    const granted = matches(text(`${SFDX}/permissionsets/ChurnGuard_Integration.permissionset-meta.xml`), /<field>((?:Account|Contact)\.\w+)<\/field>/g);
    expect(granted).toEqual(sorted(['Account', 'Contact'].flatMap((o) => DAEMON_SALESFORCE.map((f) => `${o}.${f}`))));
  });

  it('the Lightning component reads exactly the contract', () => {
    const lwc = text('ui_extension/salesforce/force-app/main/default/lwc/churnRiskCard/churnRiskCard.js');
    const listed = matches(lwc.slice(lwc.indexOf('FIELDS'), lwc.indexOf('];')), /'(ChurnGuard_\w+__c)'/g);
    expect(listed).toEqual(DAEMON_SALESFORCE);
    for (const name of matches(lwc, /\b(ChurnGuard_\w+__c)\b/g)) expect(DAEMON_SALESFORCE).toContain(name);
  });

  it('the Flow and the list view name only contract fields, and the Flow excludes holdouts', () => {
    const flow = text(`${SFDX}/flows/ChurnGuard_Offer_Follow_Up.flow-meta.xml`);
    const view = text(`${SFDX}/objects/Account/listViews/ChurnGuard_High_Risk.listView-meta.xml`);
    for (const name of matches(flow + view, /\b(ChurnGuard_\w+__c)\b/g)) expect(DAEMON_SALESFORCE).toContain(name);
    expect(flow).toMatch(/<field>ChurnGuard_Holdout__c<\/field>\s*<operator>EqualTo<\/operator>\s*<value><booleanValue>false<\/booleanValue>/);
    expect(flow).toMatch(/<field>ChurnGuard_Next_Action__c<\/field>\s*<operator>EqualTo<\/operator>\s*<value><stringValue>offer<\/stringValue>/);
  });

  it('the HubSpot workflow template names only contract properties and excludes holdouts', () => {
    const flow = text('plugin_manifest/hubspot/workflows/churnguard-offer-workflow.json');
    for (const name of matches(flow, /\b(churnguard_[a-z_]+)\b/g)) expect(DAEMON_HUBSPOT).toContain(name);
    expect(flow).toContain('"property": "churnguard_holdout"');
  });

  it('tier and next-action values agree between HubSpot options and Salesforce picklists', () => {
    const hs = json('plugin_manifest/hubspot/properties/churnguard-properties.json').properties;
    const sf = json('plugin_manifest/salesforce/churnguard-fields.json').fields;
    for (const [h, s] of [['churnguard_risk_tier', 'ChurnGuard_Risk_Tier__c'], ['churnguard_next_action', 'ChurnGuard_Next_Action__c']]) {
      const hv = hs.find((p: { name: string }) => p.name === h).options.map((o: { value: string }) => o.value);
      const sv = sf.find((f: { name: string }) => f.name === s).metadata.valueSet.valueSetDefinition.value.map((v: { fullName: string }) => v.fullName);
      expect(sv).toEqual(hv);
    }
  });
});
