import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlSubset, type YamlValue } from './yaml-subset';

const root = join(import.meta.dirname, '..', '..', '..');
type Obj = { [key: string]: YamlValue };
const config = parseYamlSubset(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Obj;
const obj = (v: YamlValue | undefined): Obj => {
  expect(v).toBeTypeOf('object');
  expect(Array.isArray(v)).toBe(false);
  return v as Obj;
};

describe('yaml subset reader', () => {
  it('reads mappings, sequences, sequences of mappings, flow lists and scalars', () => {
    const y = parseYamlSubset(
      ['a: 1', 'b:', '  c: true', '  d: "x # y"', 'e:', '  - f', "  - 'g'", 'h:', '  - name: n', '    schemes: [s, t]', 'i: [u]  # c'].join('\n'),
    );
    expect(y).toEqual({ a: 1, b: { c: true, d: 'x # y' }, e: ['f', 'g'], h: [{ name: 'n', schemes: ['s', 't'] }], i: ['u'] });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseYamlSubset('a: &x 1')).toThrow();
    expect(() => parseYamlSubset('a: |\n  text')).toThrow();
    expect(() => parseYamlSubset('a: 1\na: 2')).toThrow(/duplicate/);
    expect(() => parseYamlSubset('a:\n\tb: 1')).toThrow(/tabs/);
  });
});

describe('electron-builder.yml', () => {
  it('identifies the app', () => {
    expect(config.appId).toBe('se.samverka.desktop');
    expect(config.productName).toBe('Samverka');
    expect(obj(config.directories)).toEqual({ output: 'release', buildResources: 'assets/build' });
  });

  it('ships only the bundles, package.json and the native better-sqlite3, in an asar', () => {
    const files = config.files as string[];
    expect(files).toContain('dist/**');
    expect(files).toContain('package.json');
    expect(files).toContain('!node_modules/**');
    const nodeModules = files.filter((f) => f.startsWith('node_modules/'));
    expect(nodeModules.length).toBeGreaterThan(0);
    for (const f of nodeModules) expect(f.startsWith('node_modules/better-sqlite3/')).toBe(true);
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(['**/*.node']);
  });

  it('sets every Electron fuse explicitly, to the hardened value', () => {
    expect(obj(config.electronFuses)).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
      loadBrowserProcessSpecificV8Snapshot: false,
      resetAdHocDarwinSignature: false,
    });
  });

  it('covers every fuse electron-builder knows about', () => {
    const scheme = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as {
      definitions: { FuseOptionsV1: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(obj(config.electronFuses)).sort()).toEqual(Object.keys(scheme.definitions.FuseOptionsV1.properties).sort());
  });

  it('builds AppImage+deb (with libsecret), nsis+msi and dmg', () => {
    expect(obj(config.linux).target).toEqual(['AppImage', 'deb']);
    expect(obj(config.deb).depends).toContain('libsecret-1-0');
    expect(obj(config.win).target).toEqual(['nsis', 'msi']);
    expect(obj(config.mac).target).toEqual(['dmg']);
  });

  it('explains camera and microphone use in Swedish and English', () => {
    const info = obj(obj(config.mac).extendInfo);
    for (const key of ['NSCameraUsageDescription', 'NSMicrophoneUsageDescription']) {
      const text = String(info[key]);
      expect(text).toMatch(/använder/);
      expect(text).toMatch(/uses/);
    }
  });

  it('registers the samverka: URL scheme', () => {
    expect(config.protocols).toEqual([{ name: 'Samverka', schemes: ['samverka'] }]);
  });
});
