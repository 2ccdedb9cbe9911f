#!/usr/bin/env node
// A protoc plugin that writes the proto comments of each file to `<file>_docs.ts`: a map from
// full names (package.Message, package.Message.field, package.Service.Method, package.Enum.VALUE)
// to their leading comment. protoc-gen-es leaves comments out of the embedded descriptors, and
// the OpenAPI document describes its operations and schemas with them.
import { createEcmaScriptPlugin, getComments, runNodeJs } from "@bufbuild/protoplugin";
import { nestedTypes } from "@bufbuild/protobuf/reflect";

/** A comment as one paragraph per blank-line-separated block, lines joined by spaces. */
function text(desc) {
  const leading = getComments(desc).leading ?? "";
  return leading
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean)
        .join(" "),
    )
    .filter(Boolean)
    .join("\n\n");
}

function collect(file) {
  const docs = {};
  const add = (name, desc) => {
    const t = text(desc);
    if (t !== "") docs[name] = t;
  };
  for (const type of nestedTypes(file)) {
    add(type.typeName, type);
    if (type.kind === "message") for (const field of type.fields) add(`${type.typeName}.${field.name}`, field);
    if (type.kind === "enum") for (const value of type.values) add(`${type.typeName}.${value.name}`, value);
    if (type.kind === "service") for (const method of type.methods) add(`${type.typeName}.${method.name}`, method);
  }
  return docs;
}

runNodeJs(
  createEcmaScriptPlugin({
    name: "protoc-gen-docs",
    version: "v1",
    generateTs(schema) {
      for (const file of schema.files) {
        const f = schema.generateFile(`${file.name}_docs.ts`);
        f.preamble(file);
        f.print("/** The leading comments of ", file.proto.name, " by full name of the element they document. */");
        f.print("export const docs: Readonly<Record<string, string>> = ", JSON.stringify(collect(file), null, 2), ";");
      }
    },
  }),
);
