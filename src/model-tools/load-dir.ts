/** Loads a TF.js graph model from a folder (model.json + the shards it names). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type TfjsGraph, loadGraph, parseModelJson, shardPaths } from './tfjs-graph';

export async function loadTfjsGraphFromDir(dir: string): Promise<TfjsGraph> {
  const jsonPath = path.join(dir, 'model.json');
  const model = parseModelJson(await fs.readFile(jsonPath, 'utf8'), jsonPath);
  const shards = new Map<string, Uint8Array>();
  for (const p of shardPaths(model)) {
    if (path.basename(p) !== p) throw new Error(`${jsonPath}: shard path '${p}' leaves the model folder`);
    shards.set(p, new Uint8Array(await fs.readFile(path.join(dir, p))));
  }
  return loadGraph(model, shards);
}
