"use client";

import ReactMarkdown, { type Components } from "react-markdown";

// Raw HTML in the source is dropped (skipHtml, and no rehype-raw): instructions are written by people and read by
// students, so nothing in them may run. react-markdown's default URL transform already refuses javascript: links.
const COMPONENTS: Components = {
  h1: ({ children }) => <h2 className="mt-4 mb-2 text-lg font-semibold text-slate-900">{children}</h2>,
  h2: ({ children }) => <h3 className="mt-4 mb-2 text-base font-semibold text-slate-900">{children}</h3>,
  h3: ({ children }) => <h4 className="mt-3 mb-1 text-sm font-semibold text-slate-900">{children}</h4>,
  p: ({ children }) => <p className="my-2 text-sm leading-6 text-slate-700">{children}</p>,
  ul: ({ children }) => <ul className="my-2 list-disc pl-6 text-sm text-slate-700">{children}</ul>,
  ol: ({ children }) => <ol className="my-2 list-decimal pl-6 text-sm text-slate-700">{children}</ol>,
  a: ({ children, href }) => (
    <a href={href} className="text-sky-700 underline" target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  code: ({ children }) => <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs">{children}</code>,
  pre: ({ children }) => <pre className="my-2 overflow-x-auto rounded-md bg-slate-100 p-3 text-xs">{children}</pre>,
  blockquote: ({ children }) => (
    <blockquote className="my-2 border-l-4 border-slate-200 pl-3 text-slate-600">{children}</blockquote>
  ),
  img: ({ alt }) => <span className="text-xs text-slate-500">[image: {alt}]</span>,
};

/** Markdown rendered safely: no raw HTML, no scripts, no remote images. */
export function Markdown({ source, testId }: { source: string; testId?: string }) {
  if (source.trim() === "") return <p className="text-sm text-slate-500 italic">No instructions.</p>;
  return (
    <div data-testid={testId} className="max-w-none">
      <ReactMarkdown skipHtml components={COMPONENTS}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
