"""What an ops team relies on in every render: requests, probes and the restricted securityContext on
every pod; one autoscaler per Deployment; a grace period that outlasts the preStop and the drain;
PDBs that select their pods; NetworkPolicies that deny by default; secrets by reference."""
import re

import yaml

from crm_common.worker import DRAIN_SECONDS
from tests.deploy.chart import (CHART, by_name, container_of, env_of, kind, pod_of, refusal, render)

SERVICES = ("lead-intake", "customer", "pool", "notify", "reporting", "automation")


def pod_specs(docs):
    for doc in kind(docs, "Deployment") + kind(docs, "Job"):
        yield f"{doc['kind']} {doc['metadata']['name']}", doc["spec"]["template"]


def test_every_container_has_requests_and_the_restricted_security_context(renders):
    for name, docs in renders.items():
        for what, template in pod_specs(docs):
            pod = template["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, what
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, what
            assert pod["automountServiceAccountToken"] is False, what
            for container in pod["containers"]:
                assert {"cpu", "memory"} <= set(container["resources"]["requests"]), what
                sc = container["securityContext"]
                assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True, what
                assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsNonRoot"] is True, what
                [tmp] = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
                [volume] = [v for v in pod["volumes"] if v["name"] == tmp["name"]]
                assert "emptyDir" in volume, what


def test_web_pods_probe_startup_readiness_and_liveness_on_the_apps_own_paths(renders):
    for docs in renders.values():
        for name in SERVICES:
            web = container_of(by_name(docs, "Deployment")[f"crm-{name}"])
            assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
            assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert web["startupProbe"]["httpGet"]["port"] == web["ports"][0]["containerPort"]


def test_workers_probe_startup_and_liveness_on_livez_at_their_metrics_port(renders):
    for docs in renders.values():
        for name in SERVICES:
            worker = by_name(docs, "Deployment")[f"crm-{name}-worker"]
            container = container_of(worker)
            port = int(env_of(worker)["WORKER_METRICS_PORT"])
            for probe in ("startupProbe", "livenessProbe"):
                assert container[probe]["httpGet"] == {"path": "/livez", "port": port}
            assert container["command"] == ["python", "-m", f"{name.replace('-', '_')}.worker"]


def test_probes_are_configurable_per_service():
    docs = render("--set", "services.pool.web.probes.startup.failureThreshold=90")
    deployments = by_name(docs, "Deployment")
    assert container_of(deployments["crm-pool"])["startupProbe"]["failureThreshold"] == 90
    assert container_of(deployments["crm-customer"])["startupProbe"]["failureThreshold"] == 30


def test_grace_period_outlasts_the_prestop_and_the_drain(renders):
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["defaults"]
    # gunicorn finishes its requests within graceful_timeout: the web drain is at least that
    graceful = int(re.search(r"^graceful_timeout = (\d+)", (CHART.parents[1] / "gunicorn.conf.py").read_text(), re.M)[1])
    assert defaults["web"]["drainSeconds"] >= graceful
    assert defaults["worker"]["drainSeconds"] >= DRAIN_SECONDS  # a SIGTERMed worker is done within this
    for docs in renders.values():
        for deployment in kind(docs, "Deployment"):
            pod = pod_of(deployment)
            [sleep, seconds] = container_of(deployment)["lifecycle"]["preStop"]["exec"]["command"]
            drain = defaults[deployment["metadata"]["labels"]["app.kubernetes.io/component"]]["drainSeconds"]
            assert sleep == "sleep" and pod["terminationGracePeriodSeconds"] > int(seconds) + drain, deployment["metadata"]["name"]
    assert "must exceed preStopSeconds + drainSeconds" in refusal("--set", "defaults.worker.terminationGracePeriodSeconds=20")


def test_every_deployment_spreads_over_zones_and_nodes(renders):
    for docs in renders.values():
        for deployment in kind(docs, "Deployment"):
            spread = pod_of(deployment)["topologySpreadConstraints"]
            assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            for constraint in spread:
                assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()


def test_no_deployment_has_both_an_hpa_and_a_scaled_object_and_autoscaled_ones_leave_replicas_out(renders):
    for name, docs in renders.items():
        hpa = {d["spec"]["scaleTargetRef"]["name"] for d in kind(docs, "HorizontalPodAutoscaler")}
        keda = {d["spec"]["scaleTargetRef"]["name"] for d in kind(docs, "ScaledObject")}
        assert not hpa & keda, name
        for deployment_name, deployment in by_name(docs, "Deployment").items():
            assert ("replicas" in deployment["spec"]) == (deployment_name not in hpa | keda), deployment_name
    default = renders["default-values.yaml"]
    assert {d["spec"]["scaleTargetRef"]["name"] for d in kind(default, "HorizontalPodAutoscaler")} == {
        f"crm-{s}" for s in SERVICES}
    assert {d["spec"]["scaleTargetRef"]["name"] for d in kind(default, "ScaledObject")} == {
        f"crm-{s}-worker" for s in SERVICES}
    off = renders["autoscaling-off-values.yaml"]
    assert not kind(off, "HorizontalPodAutoscaler") and not kind(off, "ScaledObject")
    assert by_name(off, "Deployment")["crm-customer"]["spec"]["replicas"] == 4
    assert by_name(off, "Deployment")["crm-customer-worker"]["spec"]["replicas"] == 3
    assert by_name(off, "Deployment")["crm-pool"]["spec"]["replicas"] == 2


def test_every_role_has_a_pdb_of_max_unavailable_one_selecting_exactly_its_pods(renders):
    for docs in renders.values():
        deployments = kind(docs, "Deployment")
        pdbs = kind(docs, "PodDisruptionBudget")
        assert len(pdbs) == len(deployments)
        for pdb in pdbs:
            assert pdb["spec"]["maxUnavailable"] == 1
            wanted = pdb["spec"]["selector"]["matchLabels"].items()
            matched = [d["metadata"]["name"] for d in deployments
                       if wanted <= d["spec"]["template"]["metadata"]["labels"].items()]
            assert matched == [pdb["metadata"]["name"]]


def test_automation_runs_a_web_and_a_worker_by_default(renders):
    for docs in renders.values():
        deployments = by_name(docs, "Deployment")
        assert {"crm-automation", "crm-automation-worker"} <= set(deployments)
        assert container_of(deployments["crm-automation-worker"])["command"] == ["python", "-m", "automation.worker"]


def test_networkpolicy_denies_by_default_and_lets_in_only_the_ingress_namespace(renders):
    docs = renders["default-values.yaml"]
    policies = by_name(docs, "NetworkPolicy")
    deny = policies.pop("crm-deny-all")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny["spec"]
    deployments = kind(docs, "Deployment")
    assert all(deny["spec"]["podSelector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items()
               for d in deployments)
    for name, policy in policies.items():
        sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        namespaces = {p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in sources
                      if "namespaceSelector" in p}
        if name.endswith("-worker"):
            assert namespaces == {"monitoring"}, name  # Prometheus only
        else:
            assert namespaces == {"ingress-nginx", "monitoring"}, name
        pods = [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in sources if "podSelector" in p]
        assert pods == (["reporting"] if name == "crm-customer" else []), name


def test_egress_goes_only_to_dns_mongodb_and_kafka_but_for_notify_deliveries_and_the_dashboard_login(renders):
    docs = renders["default-values.yaml"]
    for name, policy in by_name(docs, "NetworkPolicy").items():
        if name == "crm-deny-all":
            continue
        targets = set()
        for rule in policy["spec"]["egress"]:
            for peer in rule["to"]:
                if "namespaceSelector" in peer:
                    targets.add(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
                elif "podSelector" in peer:
                    targets.add("pod:" + peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
                else:
                    targets.add("outside:" + ",".join(str(p["port"]) for p in rule["ports"]))
        expected = {"kube-system", "mongodb", "kafka"}
        if name == "crm-reporting":
            expected.add("pod:customer")
        if name == "crm-notify-worker":
            expected.add("outside:443,465,587,25")
        assert targets == expected, name


def test_reporting_calls_the_customer_service_through_its_service(renders):
    for docs in renders.values():
        url = env_of(by_name(docs, "Deployment")["crm-reporting"])["REPORTING_CUSTOMER_URL"]
        host = url.removeprefix("http://").split(".")[0]
        service = by_name(docs, "Service")[host]
        assert service["spec"]["selector"]["app.kubernetes.io/name"] == "customer"
        assert url == "http://crm-customer.crm.svc" and service["spec"]["ports"][0]["port"] == 80


def test_secrets_come_by_reference_and_a_chart_made_secret_only_for_dev(renders):
    for name, docs in renders.items():
        secrets = kind(docs, "Secret")
        assert bool(secrets) == (name == "dev-secrets-values.yaml"), name
        deployments = by_name(docs, "Deployment")
        for deployment_name, deployment in deployments.items():
            env = env_of(deployment)
            for variable in ("JWT_SECRET", "MONGO_URI"):
                assert "secretKeyRef" in env[variable], (deployment_name, variable)
            assert ("NOTIFY_SEALING_KEY" in env) == deployment_name.startswith("crm-notify")
            assert ("CRM_ADMIN_PASSWORD" in env) == deployment_name.startswith("crm-customer")  # both make the first admin
    default = by_name(renders["default-values.yaml"], "Deployment")
    assert env_of(default["crm-notify"])["NOTIFY_SEALING_KEY"]["secretKeyRef"]["name"] == "crm-notify-secrets"
    assert env_of(default["crm-pool"])["MONGO_URI"]["secretKeyRef"] == {"name": "crm-mongodb", "key": "connectionString.standard"}
    assert "for a dev cluster only" in refusal("--set", "devSecrets.enabled=true")


def test_every_allowing_networkpolicy_selects_exactly_one_workloads_pods(renders):
    for name, docs in renders.items():
        workloads = kind(docs, "Deployment") + kind(docs, "Job")
        for policy_name, policy in by_name(docs, "NetworkPolicy").items():
            if policy_name == "crm-deny-all":
                continue
            wanted = policy["spec"]["podSelector"]["matchLabels"].items()
            matched = [w["metadata"]["name"] for w in workloads if wanted <= w["spec"]["template"]["metadata"]["labels"].items()]
            assert matched == [policy_name], (name, policy_name)
