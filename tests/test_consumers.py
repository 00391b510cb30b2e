"""The four clients as a team installs them: only the artifacts `make dist` builds, each with the
language's own tool, in a fresh project outside the repository.

Each test creates a project in tmp_path, installs the artifact (pip: the wheel into a new venv; npm:
the tarball; Maven: the jar from dist/maven, a file:// repository; Go: the module from dist/goproxy,
a file-based GOPROXY), and runs the README's five-line example against the real in-process service
and MLflow: a streamed chat, then a thumbs up that waits until stored. Then the same error a
protos-only team would get, from a raw generated stub, decoded with the ordinary packages of
docs/clients.md (Python grpcio-status, Go status.FromError + errdetails, Java StatusProto, Node the
package's own helper). Each program prints one JSON line; the test checks it and what MLflow stored.

The artifacts' own dependencies come from the registries through the usual caches (pip's, npm's,
~/.m2 and the Go module cache, read as fallback proxies), so a warm run stays well within the
budgets. dist/ is built first if it is missing (`make dist`); after changing a client, run
`make dist` again: these tests install what dist/ holds.
"""

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from support import assessments

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
VERSION = "0.1.0"
GO_MODULE = "go.genaifeedback.dev/client"
MAVEN_ARTIFACT = Path("io/github/genaifeedback/genaifeedback-client", VERSION, f"genaifeedback-client-{VERSION}.jar")
UNKNOWN_TRACE = "tr-" + "0" * 32


@pytest.fixture(scope="module")
def dist() -> Path:
    if not (DIST / "python").is_dir():
        subprocess.run(["make", "dist"], cwd=ROOT, check=True, timeout=600)
    return DIST


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a project outside the repository: nothing points back into it."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "GOFLAGS", "NODE_PATH"}}
    return {**env, **extra}


def run(args: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def check_outcome(stdout: str, service, mlflow_client) -> None:
    """The example's JSON line: its chat's feedback is in MLflow, the raw call's error was decoded."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stdout).strip()  # Maven 3.8 writes colour resets even with -B
    last = text.splitlines()[-1] if text else ""
    assert last.startswith("{"), f"no JSON line at the end of the example's output:\n{stdout}"
    outcome = json.loads(last)
    assert outcome["state"] in {"STORED", "FEEDBACK_STATE_STORED"}, outcome
    assert outcome["reason"] == "TRACE_NOT_FOUND", outcome
    assert outcome["domain"] == "genaifeedback", outcome
    stored = {a.assessment_id: a for a in assessments(mlflow_client, outcome["trace_id"])}
    assert stored[outcome["assessment_id"]].feedback.value is True


PYTHON_EXAMPLE = """\
import json, sys, uuid
import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from genaifeedback.client import FeedbackClient
from genaifeedback.v1 import feedback_pb2, feedback_pb2_grpc

# The README's five lines.
with FeedbackClient(sys.argv[1]) as client:
    with client.chat("What is MLflow?") as stream:
        print("".join(stream))
    sent = client.thumbs_up(trace_id=stream.trace_id, wait_until_stored=True)

# A raw stub's error, decoded with grpcio-status (docs/clients.md#errors-without-the-clients).
with grpc.insecure_channel(sys.argv[1]) as channel:
    request = feedback_pb2.SubmitFeedbackRequest(trace_id=sys.argv[2], bool_value=True, request_id=str(uuid.uuid4()))
    try:
        feedback_pb2_grpc.FeedbackServiceStub(channel).SubmitFeedback(request, timeout=30)
    except grpc.RpcError as error:
        info = error_details_pb2.ErrorInfo()
        for detail in rpc_status.from_call(error).details:
            if detail.Unpack(info):
                break
print(json.dumps({"trace_id": stream.trace_id, "assessment_id": sent.assessment_id, "state": sent.state,
                  "reason": info.reason, "domain": info.domain}))
"""


@pytest.mark.timeout(150)
def test_python_wheel_in_a_fresh_venv(dist, tmp_path, service, mlflow_client):
    (wheel,) = (dist / "python").glob("genaifeedback_client-*-py3-none-any.whl")
    run([sys.executable, "-m", "venv", str(tmp_path / "venv")], tmp_path, timeout=60)
    python = tmp_path / "venv" / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)], tmp_path, 120)
    (tmp_path / "example.py").write_text(PYTHON_EXAMPLE)
    location = run([str(python), "-c", "import genaifeedback.client as c; print(c.__file__)"], tmp_path, 30)
    assert location.startswith(str(tmp_path)), location  # the installed wheel, not the repository
    check_outcome(run([str(python), "example.py", service.target, UNKNOWN_TRACE], tmp_path, 60), service, mlflow_client)


NODE_EXAMPLE = """\
import { credentials } from "@grpc/grpc-js";
import { GenAIFeedbackClient, GenAIFeedbackError, v1 } from "@genaifeedback/client";

// The README's five lines.
const client = new GenAIFeedbackClient(process.argv[2]);
const chat = client.chat("What is MLflow tracing?");
for await (const token of chat.tokens()) process.stdout.write(token);
const sent = await client.thumbsUp({ traceId: chat.traceId, waitUntilStored: true });

// A raw stub's error, decoded with the package's own helper (docs/clients.md#errors-without-the-clients).
const stub = new v1.feedback.FeedbackServiceClient(process.argv[2], credentials.createInsecure());
const request = v1.feedback.SubmitFeedbackRequest.fromPartial({
  traceId: process.argv[3], boolValue: true, requestId: crypto.randomUUID(),
});
const error = await new Promise((resolve) => stub.submitFeedback(request, (err) => resolve(err)));
const { reason, domain } = GenAIFeedbackError.fromServiceError(error);
stub.close();
client.close();
const outcome = { trace_id: chat.traceId, assessment_id: sent.assessmentId, state: sent.state, reason, domain };
console.log("\\n" + JSON.stringify(outcome));
"""


@pytest.mark.timeout(150)
def test_node_tarball_in_a_fresh_project(dist, tmp_path, service, mlflow_client):
    (tarball,) = (dist / "npm").glob("genaifeedback-client-*.tgz")
    project = tmp_path / "consumer"
    project.mkdir()
    run(["npm", "init", "-y"], project, 30)
    run(["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", str(tarball)], project, 120)
    manifest = json.loads((project / "package.json").read_text())
    assert manifest["dependencies"]["@genaifeedback/client"].startswith("file:")
    (project / "example.mjs").write_text(NODE_EXAMPLE)
    check_outcome(run(["node", "example.mjs", service.target, UNKNOWN_TRACE], project, 60), service, mlflow_client)


JAVA_EXAMPLE = """\
package example;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.github.genaifeedback.client.ChatStream;
import io.github.genaifeedback.client.GenAIFeedbackClient;
import io.github.genaifeedback.v1.FeedbackServiceGrpc;
import io.github.genaifeedback.v1.SubmitFeedbackRequest;
import io.github.genaifeedback.v1.SubmitFeedbackResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.UUID;

public class Main {
  public static void main(String[] args) throws Exception {
    String traceId;
    SubmitFeedbackResponse sent;
    // The README's five lines.
    try (GenAIFeedbackClient client = GenAIFeedbackClient.connect(args[0]);
        ChatStream chat = client.chat("What is MLflow good for?")) {
      chat.forEach(System.out::print);
      sent = client.withWaitUntilStored().thumbsUp(chat.traceId());
      traceId = chat.traceId();
    }
    // A raw stub's error, decoded with grpc-protobuf's StatusProto (docs/clients.md#errors-without-the-clients).
    ManagedChannel channel = ManagedChannelBuilder.forTarget(args[0]).usePlaintext().build();
    ErrorInfo info = ErrorInfo.getDefaultInstance();
    try {
      FeedbackServiceGrpc.newBlockingStub(channel).submitFeedback(SubmitFeedbackRequest.newBuilder()
          .setTraceId(args[1]).setBoolValue(true).setRequestId(UUID.randomUUID().toString()).build());
    } catch (StatusRuntimeException e) {
      for (Any detail : StatusProto.fromThrowable(e).getDetailsList()) {
        if (detail.is(ErrorInfo.class)) {
          info = detail.unpack(ErrorInfo.class);
        }
      }
    } finally {
      channel.shutdownNow();
    }
    System.out.printf("%n{\\"trace_id\\": \\"%s\\", \\"assessment_id\\": \\"%s\\", \\"state\\": \\"%s\\", "
        + "\\"reason\\": \\"%s\\", \\"domain\\": \\"%s\\"}%n",
        traceId, sent.getAssessmentId(), sent.getState(), info.getReason(), info.getDomain());
  }
}
"""

JAVA_POM = """\
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository>
      <id>genaifeedback-dist</id>
      <url>{repository}</url>
    </repository>
  </repositories>
  <dependencies>
    <dependency>
      <groupId>io.github.genaifeedback</groupId>
      <artifactId>genaifeedback-client</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.1</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
      <plugin>
        <groupId>org.codehaus.mojo</groupId>
        <artifactId>exec-maven-plugin</artifactId>
        <version>3.5.1</version>
        <configuration>
          <mainClass>example.Main</mainClass>
          <cleanupDaemonThreads>false</cleanupDaemonThreads>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
"""

# The consumer gets a local repository of its own (so the jar it runs is the one dist/maven holds,
# never a copy cached by an earlier run); the user's ~/.m2 serves as a read-only remote in front of
# Maven Central, so that the dependencies and plugins already downloaded are not fetched again.
MAVEN_SETTINGS = """\
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <profiles>
    <profile>
      <id>cache</id>
      <repositories><repository><id>user-cache</id><url>{cache}</url></repository></repositories>
      <pluginRepositories><pluginRepository><id>user-cache</id><url>{cache}</url></pluginRepository></pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>cache</activeProfile></activeProfiles>
</settings>
"""


@pytest.mark.timeout(200)
def test_java_jar_from_a_maven_repository(dist, tmp_path, service, mlflow_client):
    project = tmp_path / "consumer"
    (project / "src/main/java/example").mkdir(parents=True)
    (project / "pom.xml").write_text(JAVA_POM.format(repository=(dist / "maven").as_uri(), version=VERSION))
    (project / "src/main/java/example/Main.java").write_text(JAVA_EXAMPLE)
    settings = tmp_path / "settings.xml"
    settings.write_text(MAVEN_SETTINGS.format(cache=(Path.home() / ".m2" / "repository").as_uri()))
    local = tmp_path / "m2"
    stdout = run(
        [
            "mvn",
            "-B",
            "-q",
            "-s",
            str(settings),
            f"-Dmaven.repo.local={local}",
            "compile",
            "exec:java",
            f"-Dexec.args={service.target} {UNKNOWN_TRACE}",
        ],
        project,
        180,
    )
    assert (local / MAVEN_ARTIFACT).read_bytes() == (dist / "maven" / MAVEN_ARTIFACT).read_bytes()
    check_outcome(stdout, service, mlflow_client)


GO_EXAMPLE = """\
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/google/uuid"
	"go.genaifeedback.dev/client/genaifeedback"
	genaifeedbackv1 "go.genaifeedback.dev/client/genaifeedbackv1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func main() {
	ctx := context.Background()
	// The README's five lines (each error checked).
	client, err := genaifeedback.New(os.Args[1])
	check(err)
	stream, err := client.Chat(ctx, &genaifeedbackv1.ChatRequest{Message: "Hello"})
	check(err)
	for text, err := range stream.Tokens() {
		check(err)
		fmt.Print(text)
	}
	sent, err := client.SubmitFeedback(ctx, genaifeedback.TraceID(stream.TraceID()),
		genaifeedback.Feedback{Value: genaifeedback.Bool(true), WaitUntilStored: true})
	check(err)

	// A raw stub's error, decoded with status.FromError and errdetails (docs/clients.md#errors-without-the-clients).
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	check(err)
	defer conn.Close()
	_, err = genaifeedbackv1.NewFeedbackServiceClient(conn).SubmitFeedback(ctx, &genaifeedbackv1.SubmitFeedbackRequest{
		Target:    &genaifeedbackv1.SubmitFeedbackRequest_TraceId{TraceId: os.Args[2]},
		Value:     &genaifeedbackv1.SubmitFeedbackRequest_BoolValue{BoolValue: true},
		RequestId: uuid.NewString(),
	})
	info := &errdetails.ErrorInfo{}
	if st, ok := status.FromError(err); ok {
		for _, detail := range st.Details() {
			if found, ok := detail.(*errdetails.ErrorInfo); ok {
				info = found
			}
		}
	}
	line, _ := json.Marshal(map[string]string{"trace_id": stream.TraceID(), "assessment_id": sent.AssessmentID,
		"state": sent.State.String(), "reason": info.GetReason(), "domain": info.GetDomain()})
	fmt.Printf("\\n%s\\n", line)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
"""


@pytest.mark.timeout(240)
def test_go_module_from_a_file_proxy(dist, tmp_path, service, mlflow_client):
    project = tmp_path / "consumer"
    project.mkdir()
    # The project's own module cache (so the module is the one dist/goproxy serves, never a copy
    # from an earlier run); the user's cache, in the proxy layout, before the public proxy.
    # GONOSUMDB: the module is not in the public checksum database (it is served by us).
    env = go_env(dist, tmp_path)
    run(["go", "mod", "init", "example.com/consumer"], project, 30, env)
    run(["go", "get", f"{GO_MODULE}@v{VERSION}"], project, 120, env)
    (project / "main.go").write_text(GO_EXAMPLE)
    run(["go", "mod", "tidy"], project, 120, env)
    assert f"{GO_MODULE} v{VERSION}" in (project / "go.mod").read_text()
    zipped = tmp_path / "gomodcache" / "cache" / "download" / GO_MODULE / "@v" / f"v{VERSION}.zip"
    assert zipped.read_bytes() == (dist / "goproxy" / GO_MODULE / "@v" / f"v{VERSION}.zip").read_bytes()
    check_outcome(run(["go", "run", ".", service.target, UNKNOWN_TRACE], project, 180, env), service, mlflow_client)


OWN_STUBS_EXAMPLE = """\
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	genaifeedbackv1 "example.com/consumer/gen/genaifeedback/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	%s
)

func main() {
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	schemas, err := genaifeedbackv1.NewFeedbackServiceClient(conn).ListFeedbackSchemas(
		context.Background(), &genaifeedbackv1.ListFeedbackSchemasRequest{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(schemas.GetSchemas()), "schemas")
}
"""


def go_env(dist: Path, tmp_path: Path) -> dict[str, str]:
    """A Go project's environment: its own module cache, the file proxy, the user's cache, proxy.golang.org."""
    user_cache = run(["go", "env", "GOMODCACHE"], tmp_path, 30).strip()
    return clean_env(
        GOMODCACHE=str(tmp_path / "gomodcache"),
        GOPROXY=f"{(dist / 'goproxy').as_uri()},{Path(user_cache, 'cache', 'download').as_uri()},https://proxy.golang.org",
        GONOSUMDB="go.genaifeedback.dev",
        GOFLAGS="-modcacherw",
    )


@pytest.mark.timeout(240)
def test_go_stubs_of_ones_own_work_alone_and_panic_beside_the_published_ones(dist, tmp_path, service):
    """docs/consumer/buf.gen.yaml as documented; then the "already registered" panic of linking both."""
    plugins = ROOT / "clients" / "go" / ".bin"
    run(["make", "-s", "-C", str(ROOT / "clients" / "go"), "tools"], tmp_path, 120)
    project = tmp_path / "consumer"
    project.mkdir()
    with tarfile.open(dist / "contract" / f"genaifeedback-contract-{VERSION}.tar.gz") as archive:
        archive.extractall(tmp_path / "contract", filter="data")
    template = (ROOT / "docs" / "consumer" / "buf.gen.yaml").read_text()
    (project / "buf.gen.yaml").write_text(template.replace("example.com/yourteam/gen", "example.com/consumer/gen"))
    env = go_env(dist, tmp_path)
    generate = [
        str(ROOT / ".venv" / "bin" / "buf"),
        "generate",
        str(tmp_path / "contract"),
        "--template",
        "buf.gen.yaml",
    ]
    generate += ["--path", str(tmp_path / "contract" / "protos" / "genaifeedback")]
    run(generate, project, 60, {**env, "PATH": f"{plugins}{os.pathsep}{env['PATH']}"})
    assert (project / "gen" / "genaifeedback" / "v1" / "feedback_grpc.pb.go").is_file()
    assert not (project / "gen" / "google").exists()  # google/rpc stays genproto's
    run(["go", "mod", "init", "example.com/consumer"], project, 30, env)

    (project / "main.go").write_text(OWN_STUBS_EXAMPLE % "")
    run(["go", "mod", "tidy"], project, 120, env)
    assert "schemas" in run(["go", "run", ".", service.target], project, 180, env)

    published = f'_ "{GO_MODULE}/genaifeedbackv1" // the published stubs too: both register genaifeedback/v1'
    (project / "main.go").write_text(OWN_STUBS_EXAMPLE % published)
    run(["go", "get", f"{GO_MODULE}@v{VERSION}"], project, 120, env)
    both = subprocess.run(
        ["go", "run", ".", service.target], cwd=project, env=env, capture_output=True, text=True, timeout=180
    )
    assert both.returncode != 0
    # protobuf-go writes "proto:" and "file" with a no-break space between them (\s matches it).
    assert re.search(r'proto:\sfile "genaifeedback/v1/\w+\.proto" is already registered', both.stderr), both.stderr


def test_the_artifacts_are_the_documented_ones(dist):
    """docs/clients.md names these files and coordinates; `make dist` writes exactly them."""
    assert (dist / "python" / f"genaifeedback_client-{VERSION}-py3-none-any.whl").is_file()
    assert (dist / "python" / f"genaifeedback_client-{VERSION}.tar.gz").is_file()
    assert (dist / "npm" / f"genaifeedback-client-{VERSION}.tgz").is_file()
    assert (dist / "maven" / MAVEN_ARTIFACT).is_file()
    versions = dist / "goproxy" / GO_MODULE / "@v"
    assert (versions / "list").read_text() == f"v{VERSION}\n"
    assert json.loads((versions / f"v{VERSION}.info").read_text())["Version"] == f"v{VERSION}"
    assert (versions / f"v{VERSION}.mod").read_text() == (ROOT / "clients" / "go" / "go.mod").read_text()


def test_the_contract_ships_with_its_error_model(dist):
    """The descriptor set and the protos archive carry google/rpc beside genaifeedback/v1."""
    image = descriptor_pb2.FileDescriptorSet.FromString(
        (dist / "contract" / f"genaifeedback-contract-{VERSION}.binpb").read_bytes()
    )
    files = {f.name: f for f in image.file}
    assert {"google/rpc/status.proto", "google/rpc/error_details.proto", "google/rpc/code.proto"} <= set(files)
    assert "genaifeedback/v1/feedback.proto" in files
    assert files["genaifeedback/v1/feedback.proto"].source_code_info.location  # with the comments
    assert files["genaifeedback/v1/feedback.proto"].options.go_package.startswith(f"{GO_MODULE}/genaifeedbackv1;")
    with tarfile.open(dist / "contract" / f"genaifeedback-contract-{VERSION}.tar.gz") as archive:
        names = set(archive.getnames())
    assert {"buf.yaml", "protos/google/rpc/error_details.proto", "protos/genaifeedback/v1/feedback.proto"} <= names
