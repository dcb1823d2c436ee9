// Validates KEDA and Strimzi resources (a JSON array on stdin) with the validators that
// @kubernetes-models generates from each project's published CRD schema; prints the errors as JSON.
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";

const modules = process.argv[2] + "/node_modules/@kubernetes-models/";
const kinds = {
  "keda.sh/v1alpha1/ScaledObject": ["keda/keda.sh/v1alpha1/ScaledObject.js", "ScaledObject"],
  "keda.sh/v1alpha1/TriggerAuthentication": ["keda/keda.sh/v1alpha1/TriggerAuthentication.js", "TriggerAuthentication"],
  "kafka.strimzi.io/v1beta2/KafkaTopic": ["strimzi-kafka-operator/kafka.strimzi.io/v1beta2/KafkaTopic.js", "KafkaTopic"],
};
const errors = [];
for (const doc of JSON.parse(readFileSync(0, "utf8"))) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const name = `${key} ${doc.metadata?.name}`;
  if (!kinds[key]) { errors.push(`${name}: no published schema known for this kind`); continue; }
  const [file, cls] = kinds[key];
  const Model = (await import(pathToFileURL(modules + file)))[cls];
  try { new Model(doc).validate(); } catch (e) { errors.push(`${name}: ${e.message}`); }
}
console.log(JSON.stringify(errors));
