// Apollo Client 3 with its PersistedQueryLink (hash first, GET for hashed queries) against a
// running creatorgraph server: tests/test_apollo_client.py runs this with node and checks what
// it prints (one JSON object) against what the server saw.
//
// Input, from the environment:
//   SERVER_URL       the server's base URL (http://127.0.0.1:<port>)
//   TOKEN            an access token of the account the mutation syncs
//   PROFILE_ID       that account's profile id
//   UNIQUE           a token no earlier run used: it makes the ad-hoc documents new to the
//                    server (Apollo's print drops comments, so it goes into an alias)
//   TRUSTED_QUERY    path of a trusted document (schema/documents/ProfileById.graphql)
//   TRUSTED_MUTATION path of a trusted mutation (schema/documents/SocialSync.graphql)
//
// Output: {"results": {step: {data, errors}}, "requests": [{step, method, hash, query, status,
// code}]} where each request is one HTTP exchange as the client's fetch saw it.
"use strict";

const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");
const { ApolloClient, HttpLink, InMemoryCache, gql } = require("@apollo/client/core");
const { createPersistedQueryLink } = require("@apollo/client/link/persisted-queries");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const requests = [];
let step = "";

// Node's own fetch, recording each exchange: method, whether the hash and the text were sent,
// and the answer's status and error code.
async function recordingFetch(input, init = {}) {
  const url = new URL(typeof input === "string" ? input : input.url);
  const method = (init.method || "GET").toUpperCase();
  let sent = {};
  if (method === "GET") {
    const extensions = url.searchParams.get("extensions");
    sent = {
      query: url.searchParams.get("query"),
      extensions: extensions ? JSON.parse(extensions) : undefined,
    };
  } else if (typeof init.body === "string") {
    sent = JSON.parse(init.body);
  }
  const response = await fetch(input, init);
  const text = await response.clone().text();
  let code = null;
  try {
    code = JSON.parse(text).errors?.[0]?.extensions?.code ?? null;
  } catch {
    code = "NOT_JSON";
  }
  requests.push({
    step,
    method,
    hash: sent.extensions?.persistedQuery?.sha256Hash ?? null,
    query: typeof sent.query === "string",
    status: response.status,
    code,
  });
  return response;
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

const client = new ApolloClient({
  link: createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({
      uri: `${env("SERVER_URL")}/graphql`,
      fetch: recordingFetch,
      headers: { authorization: `Bearer ${env("TOKEN")}` },
    }),
  ),
  // Without added __typename fields the printed document is the repo's document, so its hash
  // is one the server trusts (a client that adds them registers its variant once instead).
  cache: new InMemoryCache({ addTypename: false }),
  // Every run goes to the server: the point is what crosses the wire.
  defaultOptions: {
    query: { fetchPolicy: "no-cache", errorPolicy: "all" },
    mutate: { fetchPolicy: "no-cache", errorPolicy: "all" },
  },
});

const results = {};

async function run(name, operation) {
  step = name;
  try {
    const result = await operation();
    results[name] = { data: result.data ?? null, errors: result.errors ?? null };
  } catch (error) {
    results[name] = { data: null, errors: [{ message: String(error.message || error) }] };
  }
}

async function main() {
  const unique = env("UNIQUE");
  const profileId = env("PROFILE_ID");
  const trusted = gql(readFileSync(env("TRUSTED_QUERY"), "utf8"));
  const trustedMutation = gql(readFileSync(env("TRUSTED_MUTATION"), "utf8"));
  const unknown = gql(`query Unknown { u${unique}: __typename }`);
  const withVariables = gql(`
    query Creator($id: ID!) {
      v${unique}: profile(id: $id) { id displayName stats { totalFollowers } }
    }
  `);
  const mutation = gql(`
    mutation Rename($input: ProfileUpdateInput!) {
      m${unique}: profileUpdate(input: $input) { profile { id bio } userErrors { code } }
    }
  `);

  await run("trusted", () => client.query({ query: trusted, variables: { id: profileId } }));
  await run("unknown_first", () => client.query({ query: unknown }));
  await run("unknown_again", () => client.query({ query: unknown }));
  await run("variables", () => client.query({ query: withVariables, variables: { id: profileId } }));
  await run("trusted_mutation", () =>
    client.mutate({
      mutation: trustedMutation,
      variables: { input: { platform: "TIKTOK", followers: 4321, engagement: 2.5 } },
    }),
  );
  await run("mutation", () =>
    client.mutate({ mutation, variables: { input: { bio: `Apollo ${unique}` } } }),
  );
  await run("variables_after", () =>
    client.query({ query: withVariables, variables: { id: profileId } }),
  );
  process.stdout.write(JSON.stringify({ results, requests }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
