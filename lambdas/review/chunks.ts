import { type DiffLine, type Hunk, lineNumberWidth, renderLines, type ShownLine } from './diff';
import type { FileStatus } from './ports';
import type { SkippedFile } from './scope';
import { clipToTokens, estimateTokens } from './tokens';

/** A file ready to review: its parsed hunks and listing metadata. */
export interface ReviewFile {
  path: string;
  status: FileStatus;
  additions: number;
  deletions: number;
  previousPath?: string;
  hunks: Hunk[];
}

/** One file (or one part of a large file) inside a chunk, as the model sees it. */
export interface ChunkSection {
  path: string;
  part: number;
  parts: number;
  /** Exactly the lines shown: anchors are validated against these, not against the whole file. */
  lines: ShownLine[];
  text: string;
  tokens: number;
}

/** The content of one review model call. */
export interface Chunk {
  index: number;
  sections: ChunkSection[];
  tokens: number;
}

/** Every file ends up reviewed (in some chunk) or skipped with a reason. */
export interface Chunking {
  chunks: Chunk[];
  reviewed: string[];
  skipped: SkippedFile[];
}

/** Framing per section beyond its text (separators, tokenizer boundary effects). */
const SECTION_OVERHEAD_TOKENS = 4;

export type RelevanceClass = 'source' | 'test' | 'config' | 'docs';
const CLASS_RANK: Record<RelevanceClass, number> = { source: 0, test: 1, config: 2, docs: 3 };

const DOC_EXTENSIONS = new Set(['md', 'mdx', 'markdown', 'rst', 'txt', 'adoc', 'asciidoc']);
const DOC_NAMES = /^(license|licence|changelog|changes|authors|contributors|notice|readme)(\.|$)/i;
const CONFIG_EXTENSIONS = new Set([
  'json',
  'jsonc',
  'yaml',
  'yml',
  'toml',
  'ini',
  'cfg',
  'conf',
  'properties',
  'xml',
]);
const TEST_FOLDERS = new Set([
  'test',
  'tests',
  '__tests__',
  'spec',
  'specs',
  'e2e',
  'testdata',
  'fixtures',
  '__mocks__',
]);
const TEST_NAMES = [
  /\.(test|spec)\.[^.]+$/i,
  /_test\.(go|py|rb|exs?|dart)$/i,
  /^test_.+\.py$/i,
  /(Test|Tests|Spec|IT)\.(java|kt|cs|scala|swift)$/,
];

/**
 * The review priority of a path: source first (CI workflows, Dockerfiles and scripts count as source: they run),
 * then tests, then configuration, then documentation.
 */
export function relevanceClass(path: string): RelevanceClass {
  const segments = path.split('/');
  const name = segments.at(-1) ?? path;
  const folders = segments.slice(0, -1).map((folder) => folder.toLowerCase());
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  if (DOC_EXTENSIONS.has(extension) || DOC_NAMES.test(name)) return 'docs';
  if (folders.some((folder) => TEST_FOLDERS.has(folder)) || TEST_NAMES.some((re) => re.test(name)))
    return 'test';
  const isWorkflow = folders[0] === '.github' && folders[1] === 'workflows';
  if (CONFIG_EXTENSIONS.has(extension) && !isWorkflow) return 'config';
  return 'source';
}

/**
 * Files in review order: by relevance class, then larger changes first within a class (more changed lines, more
 * risk, so they are reviewed before a size cap could bite), then by path for a stable order.
 */
export function orderByRelevance<File extends { path: string; additions: number; deletions: number }>(
  files: File[],
): File[] {
  return [...files].sort(
    (a, b) =>
      CLASS_RANK[relevanceClass(a.path)] - CLASS_RANK[relevanceClass(b.path)] ||
      b.additions + b.deletions - (a.additions + a.deletions) ||
      a.path.localeCompare(b.path),
  );
}

/** A rendered piece of one hunk (a whole hunk, or a slice of one too large for a chunk). */
interface Segment {
  lines: ShownLine[];
  text: string;
  tokens: number;
}

/**
 * Packs files (in the given order) into chunks of at most `contentBudget` estimated tokens, each chunk one model call.
 *
 * A file that fits in a chunk stays whole. A larger file is split at hunk boundaries into parts; a single hunk larger
 * than a chunk is split at line boundaries (each piece keeps real line numbers, so anchors stay valid, and is marked
 * "continued"); a single line larger than a chunk is cut and marked. Packing is next-fit, which keeps the relevance
 * order. Once `maxChunks` chunks are full, a file that no longer fits is skipped with reason `review_limit`.
 * @throws Error when `contentBudget` is too small to hold even one diff line
 */
export function buildChunks(
  files: ReviewFile[],
  options: { contentBudget: number; maxChunks: number },
): Chunking {
  const { contentBudget, maxChunks } = options;
  if (contentBudget < 64) {
    throw new Error(
      `The review chunk budget leaves ${contentBudget} tokens for the diff; raise REVIEW_CHUNK_TOKEN_BUDGET`,
    );
  }
  const result: Chunking = { chunks: [], reviewed: [], skipped: [] };
  for (const file of files) {
    const sections = fileSections(file, contentBudget);
    if (place(result.chunks, sections, contentBudget, maxChunks)) result.reviewed.push(file.path);
    else result.skipped.push({ path: file.path, reason: 'review_limit' });
  }
  return result;
}

/** Adds `sections` next-fit, all or nothing; false when they would need more than `maxChunks` chunks. */
function place(chunks: Chunk[], sections: ChunkSection[], budget: number, maxChunks: number): boolean {
  let count = chunks.length;
  let room = count > 0 ? budget - (chunks[count - 1]?.tokens ?? 0) : 0;
  const targets: number[] = [];
  for (const section of sections) {
    if (section.tokens > room) {
      count += 1;
      room = budget;
    }
    if (count > maxChunks) return false;
    targets.push(count - 1);
    room -= section.tokens;
  }
  sections.forEach((section, i) => {
    const index = targets[i] ?? 0;
    let chunk = chunks[index];
    if (chunk === undefined) {
      chunk = { index, sections: [], tokens: 0 };
      chunks.push(chunk);
    }
    chunk.sections.push(section);
    chunk.tokens += section.tokens;
  });
  return true;
}

function fileSections(file: ReviewFile, budget: number): ChunkSection[] {
  // Size parts for the longest header they could get ("part 999 of 999"); the real one is never longer.
  const headerTokens = estimateTokens(sectionHeader(file, 999, 999)) + SECTION_OVERHEAD_TOKENS;
  const capacity = budget - headerTokens;
  const segments = file.hunks.flatMap((hunk) => hunkSegments(hunk, capacity));
  const whole = segments.reduce((sum, segment) => sum + segment.tokens, 0);
  const groups: Segment[][] = [];
  if (whole <= capacity) {
    groups.push(segments);
  } else {
    let group: Segment[] = [];
    let size = 0;
    for (const segment of segments) {
      if (size + segment.tokens > capacity && group.length > 0) {
        groups.push(group);
        group = [];
        size = 0;
      }
      group.push(segment);
      size += segment.tokens;
    }
    if (group.length > 0) groups.push(group);
  }
  return groups.map((group, i) => {
    const text = `${sectionHeader(file, i + 1, groups.length)}${group.map((segment) => segment.text).join('')}\n`;
    return {
      path: file.path,
      part: i + 1,
      parts: groups.length,
      lines: group.flatMap((segment) => segment.lines),
      text,
      tokens: estimateTokens(text) + SECTION_OVERHEAD_TOKENS,
    };
  });
}

function sectionHeader(file: ReviewFile, part: number, parts: number): string {
  const renamed = file.previousPath ? `, renamed from ${file.previousPath}` : '';
  const partLabel = parts > 1 ? ` [part ${part} of ${parts}]` : '';
  return `### FILE ${file.path} (${file.status}${renamed}, +${file.additions} -${file.deletions})${partLabel}\n`;
}

/** A hunk as one segment, or sliced at line boundaries into segments that each fit `capacity`. */
function hunkSegments(hunk: Hunk, capacity: number): Segment[] {
  const width = lineNumberWidth(hunk.lines);
  const whole = segment(hunk, hunk.header, hunk.lines, width);
  if (whole.tokens <= capacity) return [whole];
  const continued = `${hunk.header} (continued)`;
  const lineCapacity = capacity - estimateTokens(`${continued}\n`);
  const segments: Segment[] = [];
  let pending: DiffLine[] = [];
  let size = 0;
  const flush = () => {
    segments.push(segment(hunk, segments.length === 0 ? hunk.header : continued, pending, width));
    pending = [];
    size = 0;
  };
  for (const original of hunk.lines) {
    const line = fitLine(original, lineCapacity);
    // Summing per-line estimates over-counts the joined text (ceil is subadditive), so a segment never overflows.
    const cost = estimateTokens(`${renderLines([line], width)}\n`);
    if (size + cost > lineCapacity && pending.length > 0) flush();
    pending.push(line);
    size += cost;
  }
  if (pending.length > 0) flush();
  return segments;
}

function segment(hunk: Hunk, header: string, lines: DiffLine[], width: number): Segment {
  const text = `${header}\n${renderLines(lines, width)}\n`;
  return {
    lines: lines.map((line) => ({ hunkIndex: hunk.index, line })),
    text,
    tokens: estimateTokens(text),
  };
}

/** Cuts one line too long for any chunk (minified code) and says so; its line numbers stay, so anchors still work. */
function fitLine(line: DiffLine, capacity: number): DiffLine {
  // Leave room for the two number columns and the marker.
  const text = clipToTokens(line.text, Math.max(8, capacity - 16), ' [... line cut: too long]');
  return text === line.text ? line : { ...line, text };
}
