import type { GitHubData, StandinPullFile, StandinReview, StandinReviewComment } from './data';

/**
 * The stand-in's one web page: `GET /{owner}/{repo}/pull/{n}`, where `html_url` values of pull requests and reviews
 * point. It shows the pull request, each review's body, and the diff with every inline comment beside its line, so a
 * review posted by the offline demo can be read in a browser. Plain HTML, everything escaped, no scripts.
 */
export function pullRequestPage(
  state: GitHubData,
  owner: string,
  repo: string,
  number: number,
): string | undefined {
  const fullName = `${owner}/${repo}`.toLowerCase();
  const pull = state.pulls.find((item) => item.repo.toLowerCase() === fullName && item.number === number);
  if (!pull) return undefined;
  const reviews = state.reviews.filter((item) => item.repo === pull.repo && item.pull_number === pull.number);
  const comments = reviews.flatMap((review) => review.comments.map((comment) => ({ review, comment })));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(pull.title)} · ${escapeHtml(pull.repo)}#${pull.number}</title>
<style>${STYLE}</style></head>
<body>
<p class="muted">GitHub stand-in (offline demo) · ${escapeHtml(pull.repo)}</p>
<h1>${escapeHtml(pull.title)} <span class="muted">#${pull.number}</span></h1>
<p class="muted">${escapeHtml(pull.user)} wants to merge ${escapeHtml(pull.head.ref)} into ${escapeHtml(pull.base.ref)} · ${pull.state}</p>
${pull.body ? `<div class="box text">${escapeHtml(pull.body)}</div>` : ''}
<h2>Reviews (${reviews.length})</h2>
${reviews.length === 0 ? '<p class="muted">No reviews yet.</p>' : reviews.map(reviewBox).join('\n')}
<h2>Files changed (${pull.files.length})</h2>
${pull.files.map((file) => fileDiff(file, comments)).join('\n')}
</body></html>
`;
}

function reviewBox(review: StandinReview): string {
  return `<div class="box" id="pullrequestreview-${review.id}">
<p><b>${escapeHtml(review.user)}</b> <span class="muted">${review.state.toLowerCase()} · ${escapeHtml(review.submitted_at ?? 'pending')} · ${review.comments.length} inline comment(s) · commit ${escapeHtml(review.commit_id.slice(0, 7))}</span></p>
<div class="text">${escapeHtml(review.body)}</div></div>`;
}

function fileDiff(
  file: StandinPullFile,
  comments: Array<{ review: StandinReview; comment: StandinReviewComment }>,
): string {
  const header = `<h3>${escapeHtml(file.filename)} <span class="muted">${file.status}</span></h3>`;
  if (file.patch === undefined) return `${header}<p class="muted">No diff shown (binary or too large).</p>`;
  const mine = comments.filter(({ comment }) => comment.path === file.filename);
  const rows: string[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const text of file.patch.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      rows.push(`<tr class="hunk"><td></td><td></td><td>${escapeHtml(text)}</td></tr>`);
      continue;
    }
    const kind = text.startsWith('+') ? 'add' : text.startsWith('-') ? 'del' : 'ctx';
    const left = kind === 'add' ? undefined : oldLine++;
    const right = kind === 'del' ? undefined : newLine++;
    rows.push(
      `<tr class="${kind}"><td>${left ?? ''}</td><td>${right ?? ''}</td><td>${escapeHtml(text)}</td></tr>`,
    );
    for (const { review, comment } of mine) {
      const side = comment.side ?? 'RIGHT';
      const at = side === 'LEFT' ? left : right;
      if (comment.line === undefined || at !== comment.line) continue;
      rows.push(
        `<tr class="comment"><td colspan="3"><a href="#pullrequestreview-${review.id}">${escapeHtml(review.user)}</a>: <span class="text">${escapeHtml(comment.body)}</span></td></tr>`,
      );
    }
  }
  return `${header}<table>${rows.join('\n')}</table>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
.muted{color:#666}.box{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:1em 0}
.text{white-space:pre-wrap}table{border-collapse:collapse;width:100%;font-family:monospace;font-size:90%}
td{padding:0 .5em;vertical-align:top;white-space:pre-wrap}td:nth-child(-n+2){color:#999;text-align:right;width:3em}
.add{background:#e6ffec}.del{background:#ffebe9}.hunk{background:#ddf4ff;color:#555}
.comment td{background:#fff8c5;border:1px solid #d4a72c;font-family:system-ui,sans-serif;padding:.4em}`;
