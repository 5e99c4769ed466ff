import { describe, expect, it } from 'vitest';
import { parseDemoLabels } from './demo-labels';
import { PlaygroundError } from './errors';
import { fetchManifest, readManifest, resolveZooUrl, zooFileUrl } from './zoo';

const entry = (id: string, status: string, roles: string[]) => ({
  id,
  status,
  dataset: 'pneumoniamnist',
  labels: ['normal', 'pneumonia'],
  files: roles.map((role) => ({
    path: role === 'onnx' ? 'model.onnx' : 'model.json',
    sha256: 'a'.repeat(64),
    bytes: 1,
    role,
  })),
});

describe('zoo', () => {
  it('resolves ?zoo= relative to the page, with a trailing slash', () => {
    expect(resolveZooUrl('https://x.org/play/index.html', './zoo/')).toBe('https://x.org/play/zoo/');
    expect(resolveZooUrl('https://x.org/play/?zoo=https://cdn.org/models', './zoo/')).toBe(
      'https://cdn.org/models/',
    );
    expect(resolveZooUrl('http://127.0.0.1:5/?zoo=%2Fbad-zoo%2F', './zoo/')).toBe(
      'http://127.0.0.1:5/bad-zoo/',
    );
    expect(zooFileUrl('https://x.org/zoo/', 'm-1', 'onnx/model.onnx')).toBe(
      'https://x.org/zoo/m-1/onnx/model.onnx',
    );
  });

  it('lists available models that have an onnx file, in manifest order', () => {
    const { models } = readManifest(
      {
        format: 'medsymmflow-zoo',
        version: 1,
        models: [
          entry('a', 'not-trained', []),
          entry('b', 'available', ['tfjs-model']),
          entry('c', 'available', ['onnx']),
        ],
      },
      'https://x.org/zoo/',
    );
    expect(models.map((m) => [m.entry.id, m.onnxUrl])).toEqual([['c', 'https://x.org/zoo/c/model.onnx']]);
  });

  it('refuses what is not a zoo manifest, and reports HTTP errors', async () => {
    expect(() => readManifest({ hello: 1 }, 'https://x.org/zoo/')).toThrow(PlaygroundError);
    expect(() =>
      readManifest({ format: 'medsymmflow-zoo', version: 2, models: [] }, 'https://x.org/zoo/'),
    ).toThrow(/version 2/);
    const notFound = (async () =>
      new Response('nope', { status: 404, statusText: 'Not Found' })) as typeof fetch;
    await expect(fetchManifest('https://x.org/zoo/', notFound)).rejects.toThrow(/HTTP 404 Not Found/);
    const badJson = (async () => new Response('{', { status: 200 })) as typeof fetch;
    await expect(fetchManifest('https://x.org/zoo/', badJson)).rejects.toThrow(/not valid JSON/);
  });
});

describe('demo labels.csv', () => {
  it('parses index,file,label,label_name rows (the datasets export format)', () => {
    expect(parseDemoLabels('index,file,label,label_name\n17,a-0.png,1,pneumonia\n\n', 'x.csv')).toEqual([
      { file: 'a-0.png', label: 1, name: 'pneumonia', testIndex: 17 },
    ]);
  });

  it('names the file and line of a malformed row', () => {
    expect(() => parseDemoLabels('file,label\n', 'x.csv')).toThrow(/x.csv: the first line must be/);
    expect(() => parseDemoLabels('index,file,label,label_name\n2,../a.png,1,p\n', 'x.csv')).toThrow(
      /x.csv line 2/,
    );
    expect(() => parseDemoLabels('index,file,label,label_name\n2,a.png,one,p\n', 'x.csv')).toThrow(/line 2/);
  });
});
