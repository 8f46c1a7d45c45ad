package cluster

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
)

const podYAML = `# a namespace and a pod in it, as an operator writes them
apiVersion: v1
kind: Namespace
metadata:
  name: vfo-e2e
--- # the pod: no kubelet runs, nodeName is enough for it to exist
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: vfo-e2e
spec:
  nodeName: node-1
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
---
# an empty document and a comment-only one are skipped
`

type pod struct {
	Metadata struct {
		UID         string
		Annotations map[string]string
	}
	Spec struct {
		NodeName   string
		Containers []struct{ Name string }
	}
}

func testPodLifecycle(t *testing.T, c *Cluster) {
	ctx := context.Background()
	if err := c.Apply(ctx, []byte(podYAML)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	path := "/api/v1/namespaces/vfo-e2e/pods/p1"
	var p pod
	if err := c.Get(ctx, path, &p); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if p.Metadata.UID == "" || p.Spec.NodeName != "node-1" || len(p.Spec.Containers) != 1 || p.Spec.Containers[0].Name != "c" {
		t.Errorf("pod read back: %+v", p)
	}
	if err := c.Get(ctx, "/api/v1/namespaces/vfo-e2e/serviceaccounts/default", nil); err != nil {
		t.Errorf("Apply of a Namespace should create its default ServiceAccount: %v", err)
	}

	status := `[{"name":"default/default","interface":"eth0"}]`
	patch := map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		"k8s.v1.cni.cncf.io/network-status": status}}}
	if err := c.Patch(ctx, path, patch); err != nil {
		t.Fatalf("Patch: %v", err)
	}
	ops := []map[string]any{{"op": "add", "path": "/metadata/annotations/vfo~1json-patch", "value": "yes"}}
	if err := c.PatchJSON(ctx, path, ops); err != nil {
		t.Fatalf("PatchJSON: %v", err)
	}
	p = pod{}
	if err := c.Get(ctx, path, &p); err != nil {
		t.Fatalf("Get after patch: %v", err)
	}
	if got := p.Metadata.Annotations["k8s.v1.cni.cncf.io/network-status"]; got != status {
		t.Errorf("merge-patched annotation = %q, want %q", got, status)
	}
	if got := p.Metadata.Annotations["vfo/json-patch"]; got != "yes" {
		t.Errorf("JSON-patched annotation = %q, want yes", got)
	}

	if err := c.Delete(ctx, path); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	errorsIsNotFound(t, "Get after Delete", c.Get(ctx, path, &p))
	errorsIsNotFound(t, "Delete again", c.Delete(ctx, path))
	errorsIsNotFound(t, "Patch of a missing pod", c.Patch(ctx, path, patch))
}

// nadCRD is a minimal NetworkAttachmentDefinition CRD (group, names and
// schema as the Network Plumbing WG specifies them).
const nadCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: network-attachment-definitions.k8s.cni.cncf.io
spec:
  group: k8s.cni.cncf.io
  scope: Namespaced
  names:
    plural: network-attachment-definitions
    singular: network-attachment-definition
    kind: NetworkAttachmentDefinition
    shortNames: [net-attach-def]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              config:
                type: string
`

// testApplyCRDThenObjects applies the CRD and conf/'s NADs, as shipped, in
// one call: the NAD must wait for the CRD to be served.
func testApplyCRDThenObjects(t *testing.T, c *Cluster) {
	ctx := context.Background()
	nadDefault, err := os.ReadFile("../../conf/nad-default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	nadSecondary, err := os.ReadFile("../../conf/nad-secondary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, []byte(nadCRD+"---\n"+string(nadDefault))); err != nil {
		t.Fatalf("Apply CRD + nad-default.yaml: %v", err)
	}
	if err := c.Apply(ctx, nadSecondary); err != nil {
		t.Fatalf("Apply nad-secondary.yaml: %v", err)
	}
	for _, name := range []string{"default", "sriov-ovn"} {
		var nad struct {
			Metadata struct{ Annotations map[string]string }
			Spec     struct{ Config string }
		}
		path := "/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions/" + name
		if err := c.Get(ctx, path, &nad); err != nil {
			t.Fatalf("Get NAD %s: %v", name, err)
		}
		if !strings.Contains(nad.Spec.Config, `"type": "vf-offload"`) ||
			nad.Metadata.Annotations["k8s.v1.cni.cncf.io/resourceName"] == "" {
			t.Errorf("NAD %s read back: %+v", name, nad)
		}
	}
}

// testApplyWaitsForForeignCRD: a CRD another client just created (not yet
// Established) must not make Apply of its objects fail.
func testApplyWaitsForForeignCRD(t *testing.T, c *Cluster) {
	ctx := context.Background()
	crd := `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
	  "metadata":{"name":"widgets.vfo.test"},
	  "spec":{"group":"vfo.test","scope":"Cluster",
	    "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
	    "versions":[{"name":"v1","served":true,"storage":true,
	      "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`
	if err := c.do(ctx, http.MethodPost, crdPath, "application/json", []byte(crd), nil); err != nil {
		t.Fatalf("create CRD directly: %v", err)
	}
	if err := c.Apply(ctx, []byte("apiVersion: vfo.test/v1\nkind: Widget\nmetadata: {name: w1}\nsize: 3\n")); err != nil {
		t.Fatalf("Apply a Widget right after its CRD was created: %v", err)
	}
	var w struct{ Size int }
	if err := c.Get(ctx, "/apis/vfo.test/v1/widgets/w1", &w); err != nil || w.Size != 3 {
		t.Errorf("Get widget: %+v, %v", w, err)
	}
}

// testApplyCRDServed: once Apply of a CRD returns, its resource is served.
func testApplyCRDServed(t *testing.T, c *Cluster) {
	ctx := context.Background()
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.gadget.vfo.test}
spec:
  group: gadget.vfo.test
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`
	if err := c.Apply(ctx, []byte(crd)); err != nil {
		t.Fatalf("Apply CRD: %v", err)
	}
	if err := c.Get(ctx, "/apis/gadget.vfo.test/v1/namespaces/default/gadgets", nil); err != nil {
		t.Errorf("list gadgets right after Apply of their CRD: %v", err)
	}
}

func testApplyReplaces(t *testing.T, c *Cluster) {
	ctx := context.Background()
	cm := func(v string) []byte {
		return []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"vfo-cm"},"data":{"k":"` + v + `"}}`)
	}
	var got struct {
		Metadata struct{ Namespace, ResourceVersion string }
		Data     map[string]string
	}
	if err := c.Apply(ctx, cm("1")); err != nil {
		t.Fatalf("Apply JSON: %v", err)
	}
	if err := c.Get(ctx, "/api/v1/namespaces/default/configmaps/vfo-cm", &got); err != nil {
		t.Fatalf("Get: %v", err)
	}
	first := got.Metadata.ResourceVersion
	if err := c.Apply(ctx, cm("2")); err != nil {
		t.Fatalf("Apply over an existing object: %v", err)
	}
	if err := c.Get(ctx, "/api/v1/namespaces/default/configmaps/vfo-cm", &got); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Data["k"] != "2" || got.Metadata.ResourceVersion == first {
		t.Errorf("after the second Apply: data %v, resourceVersion %s (was %s)", got.Data, got.Metadata.ResourceVersion, first)
	}
}

func testApplyRejectsUnknownKind(t *testing.T, c *Cluster) {
	ctx := context.Background()
	for _, tc := range []struct{ doc, want string }{
		{"apiVersion: v1\nkind: Frobnicator\nmetadata: {name: x}\n", `kind "Frobnicator" of apiVersion "v1"`},
		{"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n", `kind "Widget" of apiVersion "example.com/v1"`},
		{"apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "metadata.name are required"},
		{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n", "document 1"},
	} {
		err := c.Apply(ctx, []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Apply(%q) = %v, want an error containing %q", tc.doc, err, tc.want)
		}
	}
}
