// The SQL editor: CodeMirror 6 with PostgreSQL highlighting. One view; switching files swaps its
// state (each file keeps its own undo history). An error is shown as a lint diagnostic at the
// column (underline + gutter marker, message on hover) and its line is highlighted and scrolled to.
import { PostgreSQL, sql } from "@codemirror/lang-sql";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, keymap } from "@codemirror/view";
import { basicSetup, EditorView } from "codemirror";

const markLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let next = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(markLine)) continue;
      next =
        e.value === null
          ? Decoration.none
          : Decoration.set([
              Decoration.line({ class: "cm-error-line" }).range(tr.state.doc.line(e.value).from),
            ]);
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

export interface Editor {
  open(path: string, text: string): void;
  text(): string;
  markError(line: number, column: number | undefined, message: string): void;
  clearError(): void;
  focus(): void;
}

export function createEditor(
  parent: HTMLElement,
  onChange: (text: string) => void,
  onRun: () => void,
): Editor {
  const states = new Map<string, EditorState>();
  let current = "";
  const extensions = [
    basicSetup,
    sql({ dialect: PostgreSQL }),
    lintGutter(),
    errorLine,
    keymap.of([
      {
        key: "Mod-Enter",
        run: () => {
          onRun();
          return true;
        },
      },
    ]),
    EditorView.contentAttributes.of({ "aria-label": "SQL editor" }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) onChange(u.state.doc.toString());
    }),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc: "", extensions }) });
  return {
    open(path, text) {
      if (current) states.set(current, view.state);
      const kept = states.get(path);
      current = path;
      view.setState(
        kept && kept.doc.toString() === text ? kept : EditorState.create({ doc: text, extensions }),
      );
    },
    text: () => view.state.doc.toString(),
    markError(line, column, message) {
      const doc = view.state.doc;
      const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
      const from = Math.min(at.from + Math.max((column ?? 1) - 1, 0), at.to);
      // Underline the token at the column (up to the next space), at least one character.
      const rest = doc.sliceString(from, at.to);
      const len = Math.max(1, /^\S+/.exec(rest)?.[0].length ?? 1);
      const diagnostic: Diagnostic = {
        from,
        to: Math.min(from + len, Math.max(at.to, from + 1), doc.length),
        severity: "error",
        message,
      };
      view.dispatch(setDiagnostics(view.state, [diagnostic]));
      view.dispatch({
        effects: [markLine.of(at.number), EditorView.scrollIntoView(from, { y: "center" })],
        selection: { anchor: from },
      });
      parent.dataset.errorLine = String(at.number);
      parent.dataset.errorColumn = String(column ?? 1);
    },
    clearError() {
      view.dispatch(setDiagnostics(view.state, []));
      view.dispatch({ effects: markLine.of(null) });
      delete parent.dataset.errorLine;
      delete parent.dataset.errorColumn;
    },
    focus: () => view.focus(),
  };
}
