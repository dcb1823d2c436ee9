"""The chart passes the real tools: helm lint --strict, helm template for every ci/*.yaml, strict
Kubernetes schema validation (offline), and the KEDA and Strimzi CRD schemas."""
import kubernetes_validate
import pytest

from tests.deploy.chart import CHART, CI_VALUES, KUBE_VERSION, helm, refusal, validate_crds

CRD_KINDS = {"ScaledObject", "TriggerAuthentication", "KafkaTopic"}


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_helm_lint_strict_passes_with_every_ci_values_file(values):
    done = helm("lint", "--strict", str(CHART), "-f", str(values))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


def test_every_ci_values_file_renders_objects(renders):
    assert set(renders) == {p.name for p in CI_VALUES} >= {
        "default-values.yaml", "autoscaling-off-values.yaml", "dev-secrets-values.yaml", "kafka-auth-values.yaml"}
    for name, docs in renders.items():
        assert sum(d["kind"] == "Deployment" for d in docs) == 12, name  # six services, web and worker


def test_every_rendered_kubernetes_object_passes_strict_schema_validation(renders):
    failures = []
    for name, docs in renders.items():
        for doc in docs:
            if doc["kind"] in CRD_KINDS:
                continue
            try:
                kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                failures.append(f"{name}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")
    assert failures == []


def test_strict_validation_refuses_a_field_kubernetes_does_not_know():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                  "spec": {"selector": {"matchLabels": {"a": "b"}}, "replica": 2,
                           "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)


def test_scaled_objects_and_kafka_topics_pass_their_published_crd_schemas(renders):
    crds = [doc for docs in renders.values() for doc in docs if doc["kind"] in CRD_KINDS]
    assert {d["kind"] for d in crds} == CRD_KINDS
    assert validate_crds(crds) == []


def test_the_crd_validators_refuse_a_wrongly_typed_field():
    topic = {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic", "metadata": {"name": "t"},
             "spec": {"partitions": "twelve", "replicas": 3}}
    scaled = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "s"},
              "spec": {"scaleTargetRef": {"name": "d"}, "maxReplicaCount": "6", "triggers": []}}
    errors = validate_crds([topic, scaled])
    assert len(errors) == 2 and "partitions" in errors[0] and "maxReplicaCount" in errors[1]


def test_values_schema_refuses_an_unknown_key_naming_it():
    assert "bogus" in refusal("--set", "services.pool.worker.bogus=1")
    assert "replicaz" in refusal("--set", "defaults.web.replicaz=3")
    assert "Additional property" in refusal("--set", "nonsense=1")


def test_values_schema_refuses_defaults_without_requests():
    assert "requests" in refusal("--set", "defaults.worker.resources.requests=null")
