/**
 * Reads a .heapprofile (alloc-profile.ts) and prints where the sampled bytes were allocated:
 * by package (the first node_modules frame from the top of each stack, else the project's own
 * file), and the top allocating frames. `node -r @swc-node/register bench/serving/alloc-report.ts FILE [--top 25]`
 */
import { readFileSync } from 'node:fs';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf('--top') + 1] || 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: Node };

function owner(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/src/')) return url.slice(url.indexOf('/src/') + 1);
  return url === '' ? '(native)' : url.startsWith('node:') ? url : `node:${url}`;
}

const byOwner = new Map<string, number>();
const byFrame = new Map<string, number>();
const byRoot = new Map<string, number>();
let total = 0;
// `path` holds the project files on the stack (outermost first): the bytes are charged to the
// deepest project frame above them too, so "who asked for it" shows beside "who allocated".
function walk(n: Node, projectFrame: string): void {
  const url = n.callFrame.url;
  const here = url.includes('/src/')
    ? `${n.callFrame.functionName || '(anonymous)'} ${owner(url)}:${n.callFrame.lineNumber + 1}`
    : projectFrame;
  if (n.selfSize > 0) {
    total += n.selfSize;
    const o = owner(url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + n.selfSize);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${o}:${n.callFrame.lineNumber + 1}`;
    byFrame.set(f, (byFrame.get(f) ?? 0) + n.selfSize);
    byRoot.set(here, (byRoot.get(here) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, here);
}
walk(profile.head, '(no project frame)');

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${(total / 1e6).toFixed(1)} MB sampled`);
print('by package or project file (the allocating frame)', byOwner);
print('by allocating frame', byFrame);
print('by the deepest project frame on the stack', byRoot);
