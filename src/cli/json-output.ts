import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { once } from "node:events";

// The API's JSON: proto field names, enums by name, as on REST and Connect.
const jsonOptions = { useProtoFieldName: true } as const;

/** Writes one message as indented JSON. */
export async function writeMessage<D extends DescMessage>(out: NodeJS.WritableStream, schema: D, message: MessageShape<D>): Promise<void> {
  await write(out, `${JSON.stringify(toJson(schema, message, jsonOptions), null, 2)}\n`);
}

/**
 * Writes `{"<key>": [...]}` with the items of every page, one item per line, as they arrive:
 * a list of any length never sits in memory whole.
 */
export async function writeJsonList<D extends DescMessage>(
  out: NodeJS.WritableStream,
  key: string,
  schema: D,
  pages: AsyncIterable<readonly MessageShape<D>[]>,
): Promise<void> {
  await writeItems(out, key, schema, pages, "");
}

/** Writes one page in the same layout as writeJsonList, followed by its next_page_token. */
export async function writeJsonPage<D extends DescMessage>(
  out: NodeJS.WritableStream,
  key: string,
  schema: D,
  items: readonly MessageShape<D>[],
  nextPageToken: string,
): Promise<void> {
  await writeItems(
    out,
    key,
    schema,
    (async function* () {
      yield items;
    })(),
    `, "next_page_token": ${JSON.stringify(nextPageToken)}`,
  );
}

async function writeItems<D extends DescMessage>(
  out: NodeJS.WritableStream,
  key: string,
  schema: D,
  pages: AsyncIterable<readonly MessageShape<D>[]>,
  trailer: string,
): Promise<void> {
  // Nothing is written before the first item: a call that fails at once leaves stdout empty.
  let count = 0;
  for await (const page of pages) {
    for (const item of page) {
      await write(out, `${count++ === 0 ? `{"${key}": [\n` : ",\n"}${JSON.stringify(toJson(schema, item, jsonOptions))}`);
    }
  }
  await write(out, count === 0 ? `{"${key}": []${trailer}}\n` : `\n]${trailer}}\n`);
}

async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}
