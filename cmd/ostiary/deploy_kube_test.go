package main

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// kubeManifests are examples/deploy/kubernetes's objects, each decoded
// strictly (an unknown or misspelt field, or a duplicate key, fails) into
// its k8s.io/api type.
type kubeManifests struct {
	deployment appsv1.Deployment
	secret     corev1.Secret
	configMap  corev1.ConfigMap
	service    corev1.Service
	pdb        policyv1.PodDisruptionBudget
}

func loadKubeManifests(t *testing.T) kubeManifests {
	t.Helper()
	var m kubeManifests
	targets := map[string]any{
		"apps/v1 Deployment":            &m.deployment,
		"v1 Secret":                     &m.secret,
		"v1 ConfigMap":                  &m.configMap,
		"v1 Service":                    &m.service,
		"policy/v1 PodDisruptionBudget": &m.pdb,
	}
	files, err := filepath.Glob(deployPath("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var listed []string
	var kustomized []string
	for _, f := range files {
		b := readFile(t, f)
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(b, &tm); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if tm.Kind == "Kustomization" {
			var k struct {
				APIVersion string   `json:"apiVersion"`
				Kind       string   `json:"kind"`
				Resources  []string `json:"resources"`
			}
			if err := yaml.UnmarshalStrict(b, &k); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kustomized = k.Resources
			continue
		}
		key := tm.APIVersion + " " + tm.Kind
		target, ok := targets[key]
		if !ok {
			t.Fatalf("%s: unexpected %s", f, key)
		}
		if err := yaml.UnmarshalStrict(b, target); err != nil {
			t.Fatalf("%s does not decode strictly into %s: %v", f, key, err)
		}
		delete(targets, key)
		listed = append(listed, filepath.Base(f))
	}
	if len(targets) > 0 {
		t.Fatalf("missing manifests: %v", targets)
	}
	slices.Sort(kustomized)
	if !slices.Equal(kustomized, listed) {
		t.Errorf("kustomization.yaml lists %v, the directory has %v", kustomized, listed)
	}
	return m
}

// TestKubernetesManifests: the objects fit together: two replicas selected
// by the Service and the PodDisruptionBudget, the environment from keys the
// Secret has, the config file from the ConfigMap at the path --config
// names, probes on the container's port, a non-root pod with a read-only
// root file system and no capabilities.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	m := loadKubeManifests(t)
	d := m.deployment
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v, want 2", d.Spec.Replicas)
	}
	pod := labels.Set(d.Spec.Template.Labels)
	for name, sel := range map[string]*metav1.LabelSelector{"Deployment": d.Spec.Selector, "PodDisruptionBudget": m.pdb.Spec.Selector} {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || s.Empty() || !s.Matches(pod) {
			t.Errorf("the %s's selector %v does not select the pods %v (%v)", name, sel, pod, err)
		}
	}
	if s := labels.SelectorFromSet(m.service.Spec.Selector); len(m.service.Spec.Selector) == 0 || !s.Matches(pod) {
		t.Errorf("the Service's selector %v does not select the pods %v", m.service.Spec.Selector, pod)
	}
	if m.pdb.Spec.MinAvailable == nil || m.pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget minAvailable %v, want 1 of the 2", m.pdb.Spec.MinAvailable)
	}

	ps := d.Spec.Template.Spec
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers", len(ps.Containers))
	}
	c := ps.Containers[0]
	if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
		ps.SecurityContext.RunAsUser == nil || *ps.SecurityContext.RunAsUser != 65532 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot, the image's user 65532", ps.SecurityContext)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext %+v: want a read-only root, no privilege escalation, no capabilities", sc)
	}

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if sp := m.service.Spec.Ports; len(sp) != 1 || ports[sp[0].TargetPort.String()] == 0 {
		t.Errorf("the Service's targetPort %v is not a container port %v", sp, ports)
	}
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || ports[p.HTTPGet.Port.String()] == 0 {
			t.Errorf("%s probe %+v is not an HTTP GET on a container port", name, p)
		}
	}
	if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("liveness %s, readiness %s: want /healthz and /readyz (provider/health)", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
	}

	for _, e := range c.Env {
		ref := e.ValueFrom.SecretKeyRef
		if ref == nil || ref.Name != m.secret.Name {
			t.Errorf("env %s is not from the Secret %s", e.Name, m.secret.Name)
			continue
		}
		if _, ok := m.secret.StringData[ref.Key]; !ok || (ref.Optional != nil && *ref.Optional) {
			t.Errorf("env %s: the Secret has no key %q (or it is optional)", e.Name, ref.Key)
		}
	}

	// The config file: the ConfigMap mounted where --config points.
	configArg := ""
	if i := slices.Index(c.Args, "--config"); i >= 0 && i+1 < len(c.Args) && c.Args[0] == "serve" {
		configArg = c.Args[i+1]
	} else {
		t.Fatalf("args %v: want serve --config FILE", c.Args)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range ps.Volumes {
		volumes[v.Name] = v
	}
	found := false
	for _, vm := range c.VolumeMounts {
		v := volumes[vm.Name]
		if v.ConfigMap != nil && v.ConfigMap.Name == m.configMap.Name && vm.MountPath == path.Dir(configArg) {
			_, found = m.configMap.Data[path.Base(configArg)]
		}
		if v.VolumeSource == (corev1.VolumeSource{}) {
			t.Errorf("volume mount %s has no volume", vm.Name)
		}
	}
	if !found {
		t.Errorf("%s is not a key of the ConfigMap %s mounted at %s", configArg, m.configMap.Name, path.Dir(configArg))
	}
}

// kubeEnv is the container's environment as the kubelet would give it from
// the Secret, with secret values replaced as the operator does.
func kubeEnv(t *testing.T, m kubeManifests, replace map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range m.deployment.Spec.Template.Spec.Containers[0].Env {
		v := m.secret.StringData[e.ValueFrom.SecretKeyRef.Key]
		if r, ok := replace[e.ValueFrom.SecretKeyRef.Key]; ok {
			v = r
		}
		env[e.Name] = v
	}
	return env
}

// TestKubernetesConfig: the ConfigMap's file decodes with the binary's
// decoder; with the Secret as shipped it is refused (the placeholder secret
// is too short, so nobody runs on it by mistake); with a real secret it
// validates, on PostgreSQL, listening on the container's port.
func TestKubernetesConfig(t *testing.T) {
	t.Parallel()
	m := loadKubeManifests(t)
	content := m.configMap.Data["config.yaml"]
	if _, _, err := loadShippedConfig(t, content, kubeEnv(t, m, nil)); err == nil ||
		!strings.Contains(err.Error(), "secrets.system[0]: must be at least 32 bytes") {
		t.Errorf("the shipped placeholder secret: %v, want it refused", err)
	}
	c, _, err := loadShippedConfig(t, content, kubeEnv(t, m, map[string]string{"system-secret": randomSecret(t)}))
	if err != nil {
		t.Fatalf("the ConfigMap's config with a real secret: %v", err)
	}
	if kind, _ := databaseKind(c.Database); kind != "postgres" {
		t.Errorf("database %q: the replicas need PostgreSQL", c.Database)
	}
	if listenPort(t, c.Listen) != "8080" || m.deployment.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort != 8080 {
		t.Errorf("listen %s is not the container port", c.Listen)
	}
	mounts := map[string]bool{}
	for _, vm := range m.deployment.Spec.Template.Spec.Containers[0].VolumeMounts {
		mounts[vm.MountPath] = !vm.ReadOnly
	}
	if !mounts[c.DataDir] {
		t.Errorf("data_dir %s is not a writable mount (the root file system is read-only)", c.DataDir)
	}
}

// TestKubernetesProbesAnswer starts serve with the ConfigMap's file and the
// Secret's environment (a real secret; the database a fresh SQLite file here,
// a throwaway PostgreSQL in TestKubernetesProbesAnswerPostgres) and GETs
// every probe's path as the kubelet does: 200 each.
func TestKubernetesProbesAnswer(t *testing.T) {
	t.Parallel()
	m := loadKubeManifests(t)
	env := kubeEnv(t, m, map[string]string{"system-secret": randomSecret(t), "database": "sqlite:" + filepath.Join(t.TempDir(), "ostiary.db")})
	probeKube(t, m, env)
}

func probeKube(t *testing.T, m kubeManifests, env map[string]string) {
	t.Helper()
	dir := t.TempDir()
	content := strings.ReplaceAll(m.configMap.Data["config.yaml"], "/var/lib/ostiary", dir)
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c := m.deployment.Spec.Template.Spec.Containers[0]
	var paths []string
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		paths = append(paths, p.HTTPGet.Path)
	}
	serveAndProbe(t, configPath, env, paths)
}

// TestKubernetesProbesAnswerPostgres: the same on a real PostgreSQL, the
// Deployment's database (pgtest: skipped under -short).
func TestKubernetesProbesAnswerPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	m := loadKubeManifests(t)
	probeKube(t, m, kubeEnv(t, m, map[string]string{"system-secret": randomSecret(t), "database": dsn}))
}
