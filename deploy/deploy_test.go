// Package deploy tests the files that run the guard in production: the
// Dockerfile, the docker-compose example, the Kubernetes manifests, and the
// Grafana dashboard and Prometheus alerts (against the metrics the guard
// really exports).
package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stripeguard/stripeguard/internal/testutil"
	"github.com/stripeguard/stripeguard/internal/webhooksig"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stripeguard-deploy-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "stripeguard")
	build := exec.Command("go", "build", "-o", binary, "../cmd/stripeguard")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkGuardArgs runs the real binary with a manifest's guard arguments
// and -h: flag parsing stops at -h only after every earlier flag parsed,
// so exit 0 means each flag exists and each value is well-formed.
func checkGuardArgs(t *testing.T, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "guard" {
		t.Fatalf("arguments do not run the guard: %v", args)
	}
	cmd := exec.Command(binary, append(append([]string{}, args...), "-h")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("stripeguard %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// flagValue returns the value of --name=value or --name value in args.
func flagValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// --- Dockerfile ---

type instruction struct {
	cmd  string
	args string
	line int
}

// parseDockerfile reads instructions, joining continuation lines.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start, n := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "../Dockerfile")
	var froms []instruction
	final := -1
	for i, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in)
			final = i
		}
		if in.cmd == "ADD" {
			t.Errorf("line %d: ADD fetches and unpacks; use COPY", in.line)
		}
	}
	if len(froms) < 2 || !strings.Contains(froms[0].args, " AS build") {
		t.Fatalf("want a multi-stage build (a build stage, then the runtime): %v", froms)
	}
	if !strings.Contains(froms[len(froms)-1].args, "RUNTIME_IMAGE") {
		t.Errorf("final stage FROM %s", froms[len(froms)-1].args)
	}
	args := map[string]string{}
	for _, in := range ins[:final] {
		if in.cmd == "ARG" {
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		}
	}
	if !strings.Contains(args["RUNTIME_IMAGE"], "distroless/static") || !strings.HasSuffix(args["RUNTIME_IMAGE"], ":nonroot") {
		t.Errorf("runtime base %q: want distroless static, nonroot", args["RUNTIME_IMAGE"])
	}
	if !strings.HasPrefix(args["GO_IMAGE"], "golang:1.26") {
		t.Errorf("builder %q: go.mod needs Go 1.26", args["GO_IMAGE"])
	}
	got := map[string]instruction{}
	for _, in := range ins[final:] {
		got[in.cmd] = in
	}
	if u := got["USER"].args; u != "65532:65532" {
		t.Errorf("final USER %q: want the numeric non-root 65532:65532 (Kubernetes runAsNonRoot checks a number)", u)
	}
	var entry []string
	if err := json.Unmarshal([]byte(got["ENTRYPOINT"].args), &entry); err != nil || len(entry) != 1 || !strings.HasSuffix(entry[0], "/stripeguard") {
		t.Errorf("ENTRYPOINT %q: want the exec form running stripeguard", got["ENTRYPOINT"].args)
	}
	hc := got["HEALTHCHECK"].args
	i := strings.Index(hc, "CMD ")
	var hcmd []string
	if i < 0 || json.Unmarshal([]byte(hc[i+4:]), &hcmd) != nil || len(hcmd) < 3 || hcmd[0] != entry[0] || hcmd[1] != "health" {
		t.Fatalf("HEALTHCHECK %q: want the exec form `stripeguard health URL` (no shell or curl in the image)", hc)
	}
	if !strings.HasSuffix(hcmd[len(hcmd)-1], ":8788/healthz") || !strings.Contains(got["EXPOSE"].args, "8788") {
		t.Errorf("HEALTHCHECK %v must hit the exposed admin port 8788", hcmd)
	}
	// The health command the image runs works against a real guard (see
	// TestComposeStack), and refuses a down one.
	if out, err := exec.Command(binary, "health", "--timeout", "1s", "http://127.0.0.1:9/healthz").CombinedOutput(); err == nil {
		t.Errorf("health of nothing succeeded: %s", out)
	}
	// Only the module's sources reach the build context.
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*", "!go.mod", "!go.sum", "!cmd/", "!internal/"} {
		if !strings.Contains("\n"+string(ignore)+"\n", "\n"+want+"\n") {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
	for _, in := range ins {
		if in.cmd == "COPY" && !strings.HasPrefix(in.args, "--from=") {
			for _, src := range strings.Fields(in.args)[:len(strings.Fields(in.args))-1] {
				if src != "go.mod" && src != "go.sum" && src != "cmd" && src != "internal" {
					t.Errorf("line %d copies %s, which .dockerignore leaves out", in.line, src)
				}
			}
		}
	}
}

// dockerfile-utils (npm) is the linter of the VS Code Docker extension.
func TestDockerfileLint(t *testing.T) {
	lint := testutil.NeedProgram(t, "dockerfile-utils")
	for _, f := range []string{"../Dockerfile", "compose/app/Dockerfile"} {
		out, err := exec.Command(lint, "lint", f).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("dockerfile-utils lint %s: %v\n%s", f, err, out)
		}
	}
}

// --- docker-compose ---

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Networks map[string]struct {
		Internal bool `yaml:"internal"`
	} `yaml:"networks"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	Networks    []string          `yaml:"networks"`
	Secrets     []string          `yaml:"secrets"`
	ReadOnly    bool              `yaml:"read_only"`
	CapDrop     []string          `yaml:"cap_drop"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// Service attributes of the Compose Specification (compose-spec.io,
// "Services top-level element"); anything else is an error for
// `docker compose`.
var composeServiceKeys = strings.Fields(`annotations attach build blkio_config cap_add cap_drop cgroup cgroup_parent command
configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset
credential_spec depends_on deploy develop device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint env_file
environment expose extends external_links extra_hosts gpus group_add healthcheck hostname image init ipc isolation labels
links logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit network_mode networks oom_kill_disable
oom_score_adj pid pids_limit platform ports post_start pre_stop privileged profiles pull_policy read_only restart runtime
scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits user
userns_mode uts volumes volumes_from working_dir`)

func loadCompose(t *testing.T) (composeFile, map[string]any) {
	t.Helper()
	data, err := os.ReadFile("compose/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	return c, raw
}

func TestComposeFile(t *testing.T) {
	c, raw := loadCompose(t)
	for k := range raw {
		switch k {
		case "name", "services", "networks", "volumes", "secrets", "configs":
		default:
			t.Errorf("unknown top-level key %q", k)
		}
	}
	allowed := map[string]bool{}
	for _, k := range composeServiceKeys {
		allowed[k] = true
	}
	for name, svc := range raw["services"].(map[string]any) {
		for k := range svc.(map[string]any) {
			if !allowed[k] {
				t.Errorf("service %s: unknown attribute %q", name, k)
			}
		}
	}
	for _, want := range []string{"guard", "app", "redis"} {
		if _, ok := c.Services[want]; !ok {
			t.Fatalf("missing service %s", want)
		}
	}
	// Only the guard is published; the app and Redis live on an internal
	// network the guard shares.
	for name, svc := range c.Services {
		if name != "guard" && len(svc.Ports) > 0 {
			t.Errorf("%s publishes ports %v: only the guard may be reachable", name, svc.Ports)
		}
		if name != "guard" && (len(svc.Networks) != 1 || !c.Networks[svc.Networks[0]].Internal) {
			t.Errorf("%s must sit on the internal network only: %v", name, svc.Networks)
		}
	}
	g := c.Services["guard"]
	if len(g.Ports) != 1 || !strings.HasSuffix(g.Ports[0], ":8787") {
		t.Errorf("guard ports %v", g.Ports)
	}
	if !g.ReadOnly || len(g.CapDrop) == 0 || g.CapDrop[0] != "ALL" {
		t.Error("guard: read_only and cap_drop ALL")
	}
	checkGuardArgs(t, g.Command)
	if flagValue(g.Command, "upstream") != "http://app:8000" || !strings.HasPrefix(flagValue(g.Command, "redis-url"), "redis://redis:") {
		t.Errorf("guard command %v must point at the app and redis services", g.Command)
	}
	sf := flagValue(g.Command, "secret-file")
	if len(g.Secrets) != 1 || sf != "/run/secrets/"+g.Secrets[0] {
		t.Errorf("guard reads %q but mounts secrets %v", sf, g.Secrets)
	}
	if app := c.Services["app"]; app.Environment["STRIPE_WEBHOOK_SECRET_FILE"] != sf {
		t.Errorf("the app must read the same secret file (it verifies again): %v", app.Environment)
	}
	if g.DependsOn["redis"].Condition != "service_healthy" {
		t.Error("guard must wait for a healthy redis")
	}
	if c.Secrets[g.Secrets[0]].File == "" {
		t.Error("secret has no file")
	}
	gi, err := os.ReadFile("compose/.gitignore")
	if err != nil || !strings.Contains(string(gi), filepath.Base(c.Secrets[g.Secrets[0]].File)) {
		t.Error("the secret file must be git-ignored")
	}
}

func TestComposeLint(t *testing.T) {
	dclint := testutil.NeedProgram(t, "dclint")
	out, err := exec.Command(dclint, "compose/docker-compose.yml").CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("warning")) || bytes.Contains(out, []byte("error")) {
		t.Errorf("dclint: %v\n%s", err, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up: %v\n%s", url, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The compose stack without containers: the sample Flask app (real Flask
// and stripe-python), redis-server and the guard with the compose file's
// own arguments, service names swapped for loopback addresses. A signed
// delivery reaches the app, which verifies it again and sees the
// forwarding headers; a forgery and a replay never reach it; the image's
// HEALTHCHECK command reports the guard healthy.
func TestComposeStack(t *testing.T) {
	py := testutil.NeedPython(t, "flask", "stripe")
	redisBin := testutil.NeedProgram(t, "redis-server")
	c, _ := loadCompose(t)
	dir := t.TempDir()
	secret := "whsec_" + "composeStackTestSecret000000000"
	secretFile := filepath.Join(dir, "stripe_webhook_secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(name string, cmd *exec.Cmd) *bytes.Buffer {
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return &logs
	}
	redisAddr := freeAddr(t)
	_, redisPort, _ := net.SplitHostPort(redisAddr)
	start("redis", exec.Command(redisBin, "--port", redisPort, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir))

	appAddr := freeAddr(t)
	_, appPort, _ := net.SplitHostPort(appAddr)
	app := exec.Command(py, "compose/app/app.py")
	app.Env = append(os.Environ(), "APP_HOST=127.0.0.1", "APP_PORT="+appPort, "STRIPE_WEBHOOK_SECRET_FILE="+secretFile)
	appLogs := start("app", app)
	waitHTTP(t, "http://"+appAddr+"/healthz", appLogs)

	listen, admin := freeAddr(t), freeAddr(t)
	swap := map[string]string{
		"--listen=0.0.0.0:8787":                            "--listen=" + listen,
		"--admin-listen=0.0.0.0:8788":                      "--admin-listen=" + admin,
		"--upstream=http://app:8000":                       "--upstream=http://" + appAddr,
		"--redis-url=redis://redis:6379/0":                 "--redis-url=redis://" + redisAddr + "/0",
		"--secret-file=/run/secrets/stripe_webhook_secret": "--secret-file=" + secretFile,
	}
	var args []string
	for _, a := range c.Services["guard"].Command {
		if s, ok := swap[a]; ok {
			a = s
			delete(swap, a)
		}
		args = append(args, a)
	}
	guardLogs := start("guard", exec.Command(binary, args...))
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The image's HEALTHCHECK command.
		if err := exec.Command(binary, "health", "http://"+admin+"/healthz").Run(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("guard not healthy:\n%s", guardLogs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	deliver := func(body []byte, sig string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+listen+"/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("Stripe-Signature", sig)
		}
		req.Header.Set("X-Forwarded-For", "6.6.6.6")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	body := []byte(`{"id": "evt_compose_1", "object": "event", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}`)
	sig := webhooksig.Header(time.Now().Unix(), body, secret)
	code, resp := deliver(body, sig)
	var answer struct {
		Received     bool   `json:"received"`
		ForwardedFor string `json:"forwarded_for"`
	}
	if code != 200 || json.Unmarshal([]byte(resp), &answer) != nil || !answer.Received {
		t.Fatalf("signed delivery: %d %s\napp:\n%s\nguard:\n%s", code, resp, appLogs.String(), guardLogs.String())
	}
	if answer.ForwardedFor != "127.0.0.1" {
		t.Errorf("the app saw X-Forwarded-For %q; the spoofed value must be replaced by the client's address", answer.ForwardedFor)
	}
	if code, _ := deliver(body, sig); code != 200 {
		t.Errorf("replay: %d, want 200 from the guard", code)
	}
	if code, _ := deliver(body, webhooksig.Header(time.Now().Unix(), body, "whsec_"+"forgedForgedForgedForged000000")); code != 400 {
		t.Errorf("forgery: %d, want 400", code)
	}
	if n := strings.Count(appLogs.String(), "event evt_compose_1"); n != 1 {
		t.Errorf("the app handled the event %d times, want exactly once:\n%s", n, appLogs.String())
	}
	// Redis holds the delivered event id (the shared dedupe store).
	cli := testutil.NeedProgram(t, "redis-cli")
	if out, err := exec.Command(cli, "-p", redisPort, "--scan", "--pattern", "stripeguard:evt:*").Output(); err != nil || !strings.Contains(string(out), "evt_compose_1") {
		t.Errorf("event id not in Redis: %q %v", out, err)
	}
}

// --- Kubernetes ---

type k8sObject struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   map[string]any `yaml:"metadata"`
	Spec       yaml.Node      `yaml:"spec"`
}

type podSpec struct {
	AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
	SecurityContext              struct {
		RunAsNonRoot   bool `yaml:"runAsNonRoot"`
		SeccompProfile struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name   string `yaml:"name"`
		Secret *struct {
			SecretName  string `yaml:"secretName"`
			DefaultMode int    `yaml:"defaultMode"`
		} `yaml:"secret"`
	} `yaml:"volumes"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	TCPSocket *struct {
		Port any `yaml:"port"`
	} `yaml:"tcpSocket"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom any    `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
	ReadinessProbe  *probe `yaml:"readinessProbe"`
	LivenessProbe   *probe `yaml:"livenessProbe"`
	SecurityContext struct {
		RunAsUser              int   `yaml:"runAsUser"`
		RunAsNonRoot           bool  `yaml:"runAsNonRoot"`
		ReadOnlyRootFilesystem bool  `yaml:"readOnlyRootFilesystem"`
		AllowPrivEsc           *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities           struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	Resources struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

func loadK8s(t *testing.T) map[string]k8sObject {
	t.Helper()
	files, _ := filepath.Glob("kubernetes/*.yaml")
	objs := map[string]k8sObject{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var o k8sObject
			if err := dec.Decode(&o); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			objs[o.Kind] = o
		}
	}
	return objs
}

func TestKubernetesManifests(t *testing.T) {
	objs := loadK8s(t)
	for _, kind := range []string{"Deployment", "Service", "NetworkPolicy", "Secret", "PodDisruptionBudget"} {
		if _, ok := objs[kind]; !ok {
			t.Fatalf("missing %s", kind)
		}
	}
	var dep struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	}
	d := objs["Deployment"].Spec
	if err := d.Decode(&dep); err != nil {
		t.Fatal(err)
	}
	pod := dep.Template.Spec
	byName := map[string]container{}
	for _, c := range pod.Containers {
		byName[c.Name] = c
	}
	g, ok := byName["guard"]
	if !ok || len(pod.Containers) != 2 {
		t.Fatalf("want the app with a guard sidecar, got %d containers", len(pod.Containers))
	}
	// The guard's arguments are valid flags of this build.
	args := append([]string{}, g.Args...)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "$(REDIS_URL)", "redis://redis:6379/0")
	}
	checkGuardArgs(t, args)
	if up := flagValue(g.Args, "upstream"); !strings.HasPrefix(up, "http://127.0.0.1:") {
		t.Errorf("guard upstream %q: the app is in the same pod, on loopback", up)
	}
	app := byName["app"]
	appBindsLoopback := false
	for _, e := range app.Env {
		if e.Name == "APP_HOST" && e.Value == "127.0.0.1" {
			appBindsLoopback = true
		}
	}
	if !appBindsLoopback || len(app.Ports) != 0 {
		t.Error("the app must listen on 127.0.0.1 and declare no port: only the guard reaches it")
	}
	// The secret is a file from a Secret volume, read-only.
	sf := flagValue(g.Args, "secret-file")
	mounted := false
	for _, m := range g.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.Secret != nil && m.ReadOnly && strings.HasPrefix(sf, m.MountPath+"/") {
				mounted = true
				if v.Secret.SecretName != objs["Secret"].Metadata["name"] {
					t.Errorf("volume uses Secret %q, the manifest defines %v", v.Secret.SecretName, objs["Secret"].Metadata["name"])
				}
			}
		}
	}
	if !mounted {
		t.Errorf("--secret-file %s is not on a read-only Secret volume", sf)
	}
	for _, e := range g.Env {
		if strings.Contains(strings.ToLower(e.Name), "secret") && e.Value != "" {
			t.Errorf("secret %s given as a literal env value", e.Name)
		}
	}
	// Probes: readiness is /healthz on the admin port (store reachable),
	// liveness does not depend on Redis.
	adminPort := 0
	for _, p := range g.Ports {
		if p.Name == "admin" {
			adminPort = p.ContainerPort
		}
	}
	if flagValue(g.Args, "admin-listen") != fmt.Sprintf("0.0.0.0:%d", adminPort) {
		t.Errorf("admin port %d does not match --admin-listen %s", adminPort, flagValue(g.Args, "admin-listen"))
	}
	if r := g.ReadinessProbe; r == nil || r.HTTPGet == nil || r.HTTPGet.Path != "/healthz" || fmt.Sprint(r.HTTPGet.Port) != "admin" {
		t.Errorf("readiness probe %+v: want GET /healthz on the admin port", r)
	}
	if l := g.LivenessProbe; l == nil || (l.HTTPGet != nil && l.HTTPGet.Path == "/healthz") {
		t.Error("liveness probe missing, or tied to /healthz (a Redis outage would restart every guard)")
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if !sc.RunAsNonRoot || sc.RunAsUser == 0 || !sc.ReadOnlyRootFilesystem || sc.AllowPrivEsc == nil || *sc.AllowPrivEsc || len(sc.Capabilities.Drop) == 0 || sc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("container %s: securityContext %+v", c.Name, sc)
		}
		if c.Resources.Limits["memory"] == "" {
			t.Errorf("container %s has no memory limit", c.Name)
		}
	}
	if g.SecurityContext.RunAsUser != 65532 {
		t.Errorf("guard runs as %d; the image's user is 65532", g.SecurityContext.RunAsUser)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken || pod.SecurityContext.SeccompProfile.Type != "RuntimeDefault" {
		t.Error("pod: no service account token, RuntimeDefault seccomp")
	}

	// The Service exposes the guard's webhook port only.
	var svc struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			TargetPort any `yaml:"targetPort"`
		} `yaml:"ports"`
	}
	s := objs["Service"].Spec
	if err := s.Decode(&svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Ports) != 1 || svc.Ports[0].TargetPort != "webhook" {
		t.Errorf("service ports %+v", svc.Ports)
	}

	// The NetworkPolicy selects these pods and lets in the webhook port
	// from anywhere and the admin port from monitoring only.
	var np struct {
		PodSelector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []struct {
			From  []map[string]any `yaml:"from"`
			Ports []struct {
				Port int `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
	}
	n := objs["NetworkPolicy"].Spec
	if err := n.Decode(&np); err != nil {
		t.Fatal(err)
	}
	for k, v := range np.PodSelector.MatchLabels {
		if dep.Template.Metadata.Labels[k] != v {
			t.Errorf("NetworkPolicy selects %s=%s, the pods are labelled %v", k, v, dep.Template.Metadata.Labels)
		}
	}
	if len(np.PodSelector.MatchLabels) == 0 || !strings.Contains(strings.Join(np.PolicyTypes, ","), "Ingress") {
		t.Error("NetworkPolicy must select the pods and restrict ingress")
	}
	open := map[int]bool{}
	for _, rule := range np.Ingress {
		if len(rule.Ports) == 0 {
			t.Error("an ingress rule without ports opens every port")
		}
		for _, p := range rule.Ports {
			if p.Port == adminPort && len(rule.From) == 0 {
				t.Error("the admin port is open to everyone")
			}
			open[p.Port] = true
		}
	}
	webhookPort := 0
	for _, p := range g.Ports {
		if p.Name == "webhook" {
			webhookPort = p.ContainerPort
		}
	}
	if !open[webhookPort] || open[8000] || len(open) != 2 {
		t.Errorf("ingress ports %v: want the webhook %d and admin %d only", open, webhookPort, adminPort)
	}
	// The example Secret holds a placeholder, never a key.
	out, _ := exec.Command(binary, "scan", "--format", "json", "--analyzers", "secrets", "kubernetes").CombinedOutput()
	if bytes.Contains(out, []byte(`"rule_id"`)) {
		t.Errorf("stripeguard finds a credential in the manifests:\n%s", out)
	}
}

// kube-score: Kubernetes best-practice checks (probes, resources,
// security context, network policies, disruption budget).
func TestKubernetesScore(t *testing.T) {
	ks := testutil.NeedProgram(t, "kube-score")
	files, _ := filepath.Glob("kubernetes/*.yaml")
	var args []string
	for _, f := range files {
		if !strings.Contains(f, "kustomization") && !strings.Contains(f, "secret.example") {
			args = append(args, f)
		}
	}
	out, err := exec.Command(ks, append([]string{"score", "--output-format", "ci"}, args...)...).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("[CRITICAL]")) || bytes.Contains(out, []byte("[WARNING]")) {
		t.Errorf("kube-score: %v\n%s", err, out)
	}
}

// --- monitoring ---

// exportedMetrics returns what the guard's /metrics really serves: every
// family with its type, and every label value (the guard pre-creates all
// its series, so the set is complete).
func exportedMetrics(t *testing.T) (names map[string]string, labels map[string]map[string]bool, text string) {
	t.Helper()
	// The scrape is the running binary's own output.
	admin := freeAddr(t)
	cmd := exec.Command(binary, "guard", "--listen", freeAddr(t), "--admin-listen", admin, "--upstream", "http://127.0.0.1:9")
	cmd.Env = append(os.Environ(), "STRIPE_WEBHOOK_SECRET=whsec_"+"metricsNamesTestSecret00000000")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitHTTP(t, "http://"+admin+"/healthz", &logs)
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text = string(body)
	names = map[string]string{}
	labels = map[string]map[string]bool{}
	typeRE := regexp.MustCompile(`^# TYPE (\S+) (\S+)$`)
	labelRE := regexp.MustCompile(`(\w+)="([^"]*)"`)
	for _, line := range strings.Split(text, "\n") {
		if m := typeRE.FindStringSubmatch(line); m != nil {
			names[m[1]] = m[2]
			if m[2] == "histogram" {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					names[m[1]+s] = "histogram-series"
				}
			}
			continue
		}
		if strings.HasPrefix(line, "stripeguard_") {
			if i := strings.IndexByte(line, '{'); i > 0 {
				for _, m := range labelRE.FindAllStringSubmatch(line[i:], -1) {
					if labels[m[1]] == nil {
						labels[m[1]] = map[string]bool{}
					}
					labels[m[1]][m[2]] = true
				}
			}
		}
	}
	return names, labels, text
}

var (
	metricRE  = regexp.MustCompile(`\bstripeguard_[a-z0-9_]+`)
	matcherRE = regexp.MustCompile(`\b(outcome|reason|kind|result)\s*(=~|!~|=|!=)\s*"([^"]*)"`)
)

// checkExpr checks that an expression uses only exported metric names
// and label values.
func checkExpr(t *testing.T, where, expr string, names map[string]string, labels map[string]map[string]bool, used map[string]bool) {
	t.Helper()
	for _, m := range metricRE.FindAllString(expr, -1) {
		if _, ok := names[m]; !ok {
			t.Errorf("%s: metric %s is not exported by the guard", where, m)
		}
		used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")] = true
	}
	for _, m := range matcherRE.FindAllStringSubmatch(expr, -1) {
		for _, v := range strings.Split(m[3], "|") {
			if v == "" || strings.ContainsAny(v, ".*+$") {
				continue
			}
			if !labels[m[1]][v] {
				t.Errorf("%s: %s=%q is not a value the guard exports (have %v)", where, m[1], v, keys(labels[m[1]]))
			}
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestGrafanaDashboard(t *testing.T) {
	names, labels, _ := exportedMetrics(t)
	data, err := os.ReadFile("monitoring/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID           string `json:"uid"`
		Title         string `json:"title"`
		SchemaVersion int    `json:"schemaVersion"`
		Inputs        []struct {
			Name, PluginID string
		} `json:"__inputs"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			GridPos struct{ X, Y, W, H int } `json:"gridPos"`
			Targets []struct {
				Expr       string `json:"expr"`
				RefID      string `json:"refId"`
				Datasource *struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 || len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" {
		t.Errorf("dashboard header: uid %q title %q schema %d inputs %+v", d.UID, d.Title, d.SchemaVersion, d.Inputs)
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	cells := map[[2]int]string{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("duplicate panel id %d", p.ID)
		}
		ids[p.ID] = true
		gp := p.GridPos
		if gp.W <= 0 || gp.H <= 0 || gp.X < 0 || gp.X+gp.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, gp)
		}
		for x := gp.X; x < gp.X+gp.W; x++ {
			for y := gp.Y; y < gp.Y+gp.H; y++ {
				if other, ok := cells[[2]int{x, y}]; ok {
					t.Errorf("panels %q and %q overlap", p.Title, other)
					x, y = 99, 99
					continue
				}
				cells[[2]int{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${DS_PROMETHEUS}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource/targets", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if refs[tg.RefID] {
				t.Errorf("panel %q: duplicate refId %s", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if !metricRE.MatchString(tg.Expr) {
				t.Errorf("panel %q: %q queries no guard metric", p.Title, tg.Expr)
			}
			checkExpr(t, "panel "+p.Title, tg.Expr, names, labels, used)
		}
	}
	for _, v := range d.Templating.List {
		checkExpr(t, "variable "+v.Name, v.Definition, names, labels, used)
	}
	// What the dashboard is for: forwarded/rejected by reason, latency,
	// replay-store health, upstream errors.
	for _, m := range []string{"stripeguard_guard_requests_total", "stripeguard_guard_rejected_total", "stripeguard_guard_request_duration_seconds",
		"stripeguard_guard_upstream_duration_seconds", "stripeguard_guard_store_up", "stripeguard_guard_store_errors_total",
		"stripeguard_guard_upstream_errors_total", "stripeguard_guard_duplicates_total"} {
		if !used[m] {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlertRules(t *testing.T) {
	names, labels, _ := exportedMetrics(t)
	data, err := os.ReadFile("monitoring/prometheus-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			checkExpr(t, "alert "+r.Alert, r.Expr, names, labels, used)
			if r.Labels["severity"] != "warning" && r.Labels["severity"] != "critical" {
				t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
		}
	}
	for _, a := range []string{"StripeguardForgedDeliverySpike", "StripeguardStoreDown", "StripeguardUpstreamFailing"} {
		if !alerts[a] {
			t.Errorf("missing alert %s", a)
		}
	}
	// Every signature failure reason the guard knows is counted as forgery.
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "StripeguardForgedDeliverySpike" {
				continue
			}
			for _, reason := range []string{"signature-mismatch", "missing-header", "timestamp-too-old", "no-v1-signature", "malformed-header"} {
				if !strings.Contains(r.Expr, reason) {
					t.Errorf("forgery alert ignores reason %s", reason)
				}
			}
		}
	}
}

// promtool (Debian's prometheus package): the rules parse, their unit
// tests (monitoring/prometheus-alerts.test.yml: forged-delivery spike,
// store down, upstream failing, certificate expiry, a quiet guard) pass,
// and the guard's real /metrics output passes promtool's lint.
func TestPromtool(t *testing.T) {
	promtool := testutil.NeedProgram(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "monitoring/prometheus-alerts.yml"},
		{"test", "rules", "monitoring/prometheus-alerts.test.yml"},
	} {
		if out, err := exec.Command(promtool, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	_, _, text := exportedMetrics(t)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics on the guard's /metrics: %v\n%s", err, out)
	}
}
