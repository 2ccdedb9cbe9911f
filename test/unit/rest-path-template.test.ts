import fc from "fast-check";
import { bindVariables, compareTemplates, matchPathTemplate, parsePathTemplate, templateShape, type PathTemplate } from "../../src/rest/path-template.js";

/** Matches and binds, returning { field.path: value } or undefined. */
function bind(template: PathTemplate, path: string): Record<string, string> | undefined {
  const segments = matchPathTemplate(template, path);
  if (segments === undefined) return undefined;
  return Object.fromEntries(bindVariables(template, segments).map((b) => [b.variable.fieldPath.join("."), b.value]));
}

describe("parsePathTemplate", () => {
  it("parses literals, variables, nested field paths, wildcards and verbs", () => {
    expect(parsePathTemplate("/v1/things/{thing_id}")).toEqual({
      source: "/v1/things/{thing_id}",
      segments: [{ kind: "literal", value: "v1" }, { kind: "literal", value: "things" }, { kind: "wildcard" }],
      variables: [{ fieldPath: ["thing_id"], start: 2, end: 3, multiSegment: false }],
      verb: undefined,
    });
    const nested = parsePathTemplate("/v1/shelves/{book.shelf.id}/books");
    expect(nested.variables).toEqual([{ fieldPath: ["book", "shelf", "id"], start: 2, end: 3, multiSegment: false }]);
    const multi = parsePathTemplate("/v1/{name=shelves/*/books/*}:publish");
    expect(multi.verb).toBe("publish");
    expect(multi.segments.map((s) => (s.kind === "literal" ? s.value : s.kind))).toEqual(["v1", "shelves", "wildcard", "books", "wildcard"]);
    expect(multi.variables).toEqual([{ fieldPath: ["name"], start: 1, end: 5, multiSegment: true }]);
    const deep = parsePathTemplate("/v1/files/{path=**}");
    expect(deep.variables).toEqual([{ fieldPath: ["path"], start: 2, end: 3, multiSegment: true }]);
    expect(parsePathTemplate("/v1/things:claim")).toMatchObject({ verb: "claim", segments: [{ value: "v1" }, { value: "things" }] });
    expect(parsePathTemplate("/v1/*/x/**").segments.map((s) => s.kind)).toEqual(["literal", "wildcard", "literal", "deep-wildcard"]);
  });

  it.each([
    ["v1/things", 'must start with "/"'],
    ["/v1//things", "empty segment"],
    ["/v1/things/", "empty segment"],
    ["/v1/{a/b}", "invalid field path"],
    ["/v1/{a={b}}", "nested variables"],
    ["/v1/{a", 'unbalanced "{"'],
    ["/v1/a}", 'unbalanced "}"'],
    ["/v1/**/x", '"**" must be the last segment'],
    ["/v1/{a}/{a}", 'field "a" bound twice'],
    ["/v1/things:", "invalid custom verb"],
    ["/v1/{1abc}", "invalid field path"],
  ])("rejects %s", (source, why) => {
    expect(() => parsePathTemplate(source)).toThrow(`invalid path template "${source}": ${why}`);
  });
});

describe("matchPathTemplate and bindVariables", () => {
  it("binds simple, nested, multi-segment and ** variables", () => {
    expect(bind(parsePathTemplate("/v1/things/{thing_id}"), "/v1/things/t1")).toEqual({ thing_id: "t1" });
    expect(bind(parsePathTemplate("/v1/shelves/{book.shelf.id}/books"), "/v1/shelves/s1/books")).toEqual({
      "book.shelf.id": "s1",
    });
    expect(bind(parsePathTemplate("/v1/{name=shelves/*/books/*}"), "/v1/shelves/s1/books/b2")).toEqual({
      name: "shelves/s1/books/b2",
    });
    expect(bind(parsePathTemplate("/v1/files/{path=**}"), "/v1/files/a/b/c.txt")).toEqual({ path: "a/b/c.txt" });
    expect(bind(parsePathTemplate("/v1/files/{path=**}"), "/v1/files")).toEqual({ path: "" });
    expect(bind(parsePathTemplate("/v1/things/{thing_id}:rotate"), "/v1/things/t1:rotate")).toEqual({ thing_id: "t1" });
  });

  it("rejects paths of another shape", () => {
    const t = parsePathTemplate("/v1/things/{thing_id}");
    expect(matchPathTemplate(t, "/v1/things")).toBeUndefined();
    expect(matchPathTemplate(t, "/v1/things/")).toBeUndefined();
    expect(matchPathTemplate(t, "/v1/things/a/b")).toBeUndefined();
    expect(matchPathTemplate(t, "/v2/things/a")).toBeUndefined();
    expect(matchPathTemplate(parsePathTemplate("/v1/things:claim"), "/v1/things")).toBeUndefined();
    expect(matchPathTemplate(parsePathTemplate("/v1/{name=shelves/*}"), "/v1/racks/x")).toBeUndefined();
  });

  it("without a verb in the template, a colon is part of the variable", () => {
    expect(bind(parsePathTemplate("/v1/things/{thing_id}"), "/v1/things/urn:x")).toEqual({ thing_id: "urn:x" });
  });

  it("decodes single-segment variables fully and keeps %2F in multi-segment ones", () => {
    expect(bind(parsePathTemplate("/v1/things/{thing_id}"), "/v1/things/a%2Fb%20c")).toEqual({ thing_id: "a/b c" });
    expect(bind(parsePathTemplate("/v1/things/{thing_id}"), "/v1/things/caf%C3%A9")).toEqual({ thing_id: "café" });
    expect(bind(parsePathTemplate("/v1/{name=shelves/*}"), "/v1/shelves/a%2fb%20c")).toEqual({ name: "shelves/a%2Fb c" });
    expect(bind(parsePathTemplate("/v1/files/{path=**}"), "/v1/files/x%2Fy/z")).toEqual({ path: "x%2Fy/z" });
  });

  it("compares literal segments after decoding them", () => {
    expect(bind(parsePathTemplate("/v1/things/{thing_id}"), "/v1/th%69ngs/t")).toEqual({ thing_id: "t" });
  });

  it("reports malformed percent-encoding as INVALID_ARGUMENT", () => {
    const t = parsePathTemplate("/v1/things/{thing_id}");
    const segments = matchPathTemplate(t, "/v1/things/%E0%A4%A");
    expect(segments).toBeDefined();
    expect(() => bindVariables(t, segments!)).toThrow("malformed percent-encoding in URL path");
  });

  it("round-trips any percent-encoded single-segment value", () => {
    const t = parsePathTemplate("/v1/things/{thing_id}");
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (value) => {
        expect(bind(t, "/v1/things/" + encodeURIComponent(value))).toEqual({ thing_id: value });
      }),
    );
  });
});

describe("compareTemplates", () => {
  const sorted = (...sources: string[]): string[] =>
    sources
      .map(parsePathTemplate)
      .sort(compareTemplates)
      .map((t) => t.source);

  it("puts verbs first, then literals before * before **, then shorter templates", () => {
    expect(sorted("/v1/{name=**}", "/v1/things/{id}", "/v1/things:claim", "/v1/things/{id}:rotate", "/v1/things")).toEqual([
      "/v1/things:claim",
      "/v1/things/{id}:rotate",
      "/v1/things",
      "/v1/things/{id}",
      "/v1/{name=**}",
    ]);
    expect(sorted("/v1/files/{p=**}", "/v1/files")).toEqual(["/v1/files", "/v1/files/{p=**}"]);
    expect(sorted("/v1/*/b", "/v1/a/*")).toEqual(["/v1/a/*", "/v1/*/b"]);
  });

  it("gives templates that match the same paths the same shape", () => {
    expect(templateShape(parsePathTemplate("/v1/{a}/x:go"))).toBe(templateShape(parsePathTemplate("/v1/{b=*}/x:go")));
    expect(templateShape(parsePathTemplate("/v1/{a}"))).not.toBe(templateShape(parsePathTemplate("/v1/{a=**}")));
  });
});
