#!/usr/bin/env python3
"""Lists Java methods and constructors longer than a limit (default 80 lines).

A method's length is counted from the first line of its declaration after any annotations
(modifiers, type, name) to its closing brace, both included; javadoc and annotations above it do
not count. Comments, strings, char literals and text blocks are blanked before the braces are
matched, so braces inside them do not count. Methods of anonymous and local classes are listed on
their own (and also count inside the method that holds them).

Usage: tools/method-lengths.py [--limit N] [--all] FILE_OR_DIR...
"""
import os
import re
import sys

TYPE_KEYWORDS = {"class", "interface", "enum", "record"}
BLOCK_KEYWORDS = {"if", "for", "while", "switch", "catch", "synchronized", "try", "do", "else",
                  "finally", "static", "return", "yield", "case", "default", "new"}


def blank(src):
    """Replaces comments and literals with spaces, keeping newlines (so line numbers hold)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith('"""', i):
            j = i + 3
            while j < n and not src.startswith('"""', j):
                j += 2 if src[j] == "\\" else 1
            j = min(n, j + 3)
            out.append('"' + re.sub(r"[^\n]", " ", src[i + 1:j - 1]) + '"')
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j = min(n, j + 1)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d[\w.]*|->|::|\S")


def tokens(text):
    line = 1
    pos = 0
    for m in TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        yield m.group(), line


def methods(path):
    text = blank(open(path, encoding="utf-8").read())
    toks = list(tokens(text))
    stack = []  # (kind, start_index_of_segment, start_line, name)
    seg_start = 0  # index of the first token of the current declaration/statement
    found = []
    for i, (t, line) in enumerate(toks):
        if t == "{":
            kind, name, first_line = classify(toks, seg_start, i, stack[-1][0] if stack else ("top", None, None))
            stack.append((kind, first_line, name))
            seg_start = i + 1
        elif t == "}":
            if stack:
                kind, first_line, name = stack.pop()
                if kind[0] == "method":
                    found.append((name, first_line, line, line - first_line + 1))
            seg_start = i + 1
        elif t == ";":
            seg_start = i + 1
    return found


def skip_annotations(toks, a, b):
    """Index of the first token in [a, b) after leading annotations like @X or @a.b.X(...)."""
    i = a
    while i < b and toks[i][0] == "@" and i + 1 < b and toks[i + 1][0] != "interface":
        i += 2
        while i + 1 < b and toks[i][0] == ".":
            i += 2
        if i < b and toks[i][0] == "(":
            depth = 0
            while i < b:
                if toks[i][0] == "(":
                    depth += 1
                elif toks[i][0] == ")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
    return i


def classify(toks, a, b, outer):
    """What the brace at b opens, given the tokens [a, b) since the last ; { or } , and the kind of
    what holds it: (type, keyword, name), (anon,), (method,) or (block,)."""
    outer = tuple(outer) + (None, None)
    seg = [t for t, _ in toks[a:b]]
    depth = 0
    top = []  # tokens at paren depth 0
    for t in seg:
        if t == "(":
            depth += 1
        if depth == 0:
            top.append(t)
        if t == ")":
            depth -= 1
    if any(t in TYPE_KEYWORDS for t in top) and "=" not in top and "->" not in top:
        keyword = next(t for t in top if t in TYPE_KEYWORDS)
        after = top[top.index(keyword) + 1:]
        return ("type", keyword, after[0] if after else None), None, None
    if outer[0] not in ("type", "anon"):
        # inside a method or block: only anonymous classes matter (their methods are methods)
        if seg and seg[-1] == ")" and is_anonymous(seg):
            return ("anon",), None, None
        return ("block",), None, None
    # directly in a type body: a method, a constructor, an initializer or a field's initializer
    if "=" in top or "->" in top:
        return ("block",), None, None
    body = skip_annotations(toks, a, b)
    rest = [t for t, _ in toks[body:b]]
    if not rest or rest == ["static"]:
        return ("block",), None, None  # instance or static initializer
    if "(" in rest:
        name = rest[rest.index("(") - 1]
        if outer[1] == "enum" and rest.index("(") == 1 and name != outer[2]:
            return ("anon",), None, None  # an enum constant with a body: A(1) { ... }
    elif outer[1] == "record" and rest[-1] == outer[2]:
        name = rest[-1]  # compact record constructor
    elif outer[1] == "enum" and len(rest) == 1:
        return ("anon",), None, None  # an enum constant with a body: A { ... }
    else:
        return ("block",), None, None
    if not re.match(r"[A-Za-z_$]", name):
        return ("block",), None, None
    return ("method",), name, toks[body][1]


def is_anonymous(seg):
    depth = 0
    for k in range(len(seg) - 1, -1, -1):
        if seg[k] == ")":
            depth += 1
        elif seg[k] == "(":
            depth -= 1
            if depth == 0:
                j = k - 1
                while j >= 0 and (re.match(r"[\w$]", seg[j]) or seg[j] in ".<>,?") and seg[j] != "new":
                    j -= 1
                return j >= 0 and seg[j] == "new"
    return False


def main(argv):
    limit, show_all, paths = 80, False, []
    it = iter(argv)
    for arg in it:
        if arg == "--limit":
            limit = int(next(it))
        elif arg == "--all":
            show_all = True
        else:
            paths.append(arg)
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, f) for f in names if f.endswith(".java")]
        else:
            files.append(p)
    rows = []
    for f in sorted(files):
        for name, first, last, length in methods(f):
            if show_all or length > limit:
                rows.append((length, f, name, first, last))
    for length, f, name, first, last in sorted(rows, key=lambda r: (-r[0], r[1])):
        print(f"{length:5d}  {f}:{first}-{last}  {name}")
    total = sum(len(methods(f)) for f in files)
    print(f"{len(rows)} of {total} methods in {len(files)} files over {limit} lines"
          if not show_all else f"{total} methods in {len(files)} files")


if __name__ == "__main__":
    main(sys.argv[1:])
