/**
 * Tests of the expression tokenizer and of the context DynamoDB quotes in syntax errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { syntaxError, tokenize } from "./lexer.ts";

function kindsAndTexts(source: string): string[] {
  return tokenize(source).map((token) => `${token.kind}:${token.text}`);
}

Deno.test("tokenize splits names, placeholders, numbers and punctuation", () => {
  assert.deepEqual(kindsAndTexts("a.b_1[12] <> #n1 AND :v_2"), [
    "identifier:a",
    "punctuation:.",
    "identifier:b_1",
    "punctuation:[",
    "number:12",
    "punctuation:]",
    "punctuation:<>",
    "name:#n1",
    "identifier:AND",
    "value::v_2",
    "eof:<EOF>",
  ]);
  assert.deepEqual(kindsAndTexts("x<=y>=z<w>v=(u),t+s-r"), [
    "identifier:x",
    "punctuation:<=",
    "identifier:y",
    "punctuation:>=",
    "identifier:z",
    "punctuation:<",
    "identifier:w",
    "punctuation:>",
    "identifier:v",
    "punctuation:=",
    "punctuation:(",
    "identifier:u",
    "punctuation:)",
    "punctuation:,",
    "identifier:t",
    "punctuation:+",
    "identifier:s",
    "punctuation:-",
    "identifier:r",
    "eof:<EOF>",
  ]);
});

Deno.test("tokenize makes other characters one-character tokens", () => {
  assert.deepEqual(kindsAndTexts("_a 1a # : é \u{1F600}!"), [
    "unknown:_",
    "identifier:a",
    "number:1",
    "identifier:a",
    "unknown:#",
    "unknown::",
    "unknown:é",
    "unknown:\u{1F600}",
    "unknown:!",
    "eof:<EOF>",
  ]);
});

Deno.test("tokenize records offsets and skips whitespace", () => {
  const tokens = tokenize(" \ta\r\n= :v ");
  assert.deepEqual(
    tokens.map((token) => [token.start, token.end]),
    [[2, 3], [5, 6], [7, 9], [10, 10]],
  );
});

Deno.test("syntaxError quotes from the previous to the next token", () => {
  const source = "SET _123 = :v";
  const tokens = tokenize(source);
  assert.equal(
    syntaxError("UpdateExpression", source, tokens, 1).message,
    'Invalid UpdateExpression: Syntax error; token: "_", near: "SET _123"',
  );
  assert.equal(
    syntaxError("UpdateExpression", source, tokens, 0).message,
    'Invalid UpdateExpression: Syntax error; token: "SET", near: "SET _"',
  );
  assert.equal(
    syntaxError("UpdateExpression", source, tokens, tokens.length - 1).message,
    'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ":v"',
  );
  assert.equal(
    syntaxError("ProjectionExpression", "", tokenize(""), 0).message,
    'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ""',
  );
});
