// Command goplugin_host is a minimal hashicorp/go-plugin host, used to prove that a real go-plugin client
// accepts the plugin executable: it launches the executable with Mattermost's handshake configuration,
// allows only the gRPC protocol, connects (handshake), pings (grpc.health.v1 Check of "plugin"), dispenses
// a plugin, then Kills the client (GRPCController/Shutdown, then up to 2 s for the process to leave by
// itself before go-plugin sends SIGKILL).
//
// Usage: goplugin_host [-automtls] [-timeout 20s] /path/to/plugin/executable
//
// It prints one JSON object on stdout and exits 0 only if everything, including the graceful exit, passed.
// go-plugin's own log (hclog, trace level) goes to stderr and is also checked for the
// "plugin failed to exit gracefully" warning.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// Mattermost's handshake configuration (server/public/plugin/api.go).
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "MATTERMOST_PLUGIN",
	MagicCookieValue: "Securely message teams, anywhere.",
}

// hooksPlugin is the host side of a gRPC plugin: dispensing it just hands back the connection.
type hooksPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (hooksPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return fmt.Errorf("the host does not serve plugins")
}

func (hooksPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// lockedBuffer collects the go-plugin log written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type report struct {
	Mode              string  `json:"mode"`
	AutoMTLS          bool    `json:"automtls"`
	Executable        string  `json:"executable"`
	HandshakeAccepted bool    `json:"handshake_accepted"`
	Protocol          string  `json:"protocol"`
	NegotiatedVersion int     `json:"negotiated_version"`
	Network           string  `json:"network"`
	Address           string  `json:"address"`
	Ping              bool    `json:"ping"`
	HealthStatus      string  `json:"health_status"`
	Dispensed         bool    `json:"dispensed"`
	Exited            bool    `json:"exited"`
	Graceful          bool    `json:"graceful"`
	ForcedKill        bool    `json:"forced_kill"`
	ExitCode          int     `json:"exit_code"`
	ExitSignal        string  `json:"exit_signal"`
	KillSeconds       float64 `json:"kill_seconds"`
	Error             string  `json:"error,omitempty"`
}

func main() {
	autoMTLS := flag.Bool("automtls", false, "set ClientConfig.AutoMTLS (the host sends PLUGIN_CLIENT_CERT)")
	timeout := flag.Duration("timeout", 20*time.Second, "ClientConfig.StartTimeout")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: goplugin_host [-automtls] [-timeout D] /path/to/plugin/executable")
		os.Exit(2)
	}
	path := flag.Arg(0)

	rep := report{Mode: "plain", AutoMTLS: *autoMTLS, Executable: path, ExitCode: -1}
	if *autoMTLS {
		rep.Mode = "automtls"
	}
	err := run(path, *autoMTLS, *timeout, &rep)
	if err != nil {
		rep.Error = err.Error()
	}
	out, _ := json.Marshal(rep)
	fmt.Println(string(out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "goplugin_host: FAILED:", err)
		os.Exit(1)
	}
}

func run(path string, autoMTLS bool, timeout time.Duration, rep *report) error {
	logs := &lockedBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "goplugin_host",
		Level:  hclog.Trace,
		Output: io.MultiWriter(logs, os.Stderr),
	})

	cmd := exec.Command(path)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          map[string]plugin.Plugin{"hooks": hooksPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         autoMTLS,
		StartTimeout:     timeout,
		Logger:           logger,
	})
	killed := false
	defer func() {
		if !killed {
			client.Kill()
		}
	}()

	// Handshake and connection.
	rpcClient, err := client.Client()
	if err != nil {
		return fmt.Errorf("handshake/connect: %w", err)
	}
	rep.HandshakeAccepted = true
	rep.Protocol = string(client.Protocol())
	rep.NegotiatedVersion = client.NegotiatedVersion()
	if addr := client.ReattachConfig(); addr != nil && addr.Addr != nil {
		rep.Network = addr.Addr.Network()
		rep.Address = addr.Addr.String()
	}
	if client.Protocol() != plugin.ProtocolGRPC {
		return fmt.Errorf("negotiated protocol %q, want grpc", client.Protocol())
	}

	// Health check, the way go-plugin (and Mattermost's health job) does it.
	if err := rpcClient.Ping(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	rep.Ping = true

	raw, err := rpcClient.Dispense("hooks")
	if err != nil {
		return fmt.Errorf("dispense: %w", err)
	}
	conn, ok := raw.(*grpc.ClientConn)
	if !ok {
		return fmt.Errorf("dispense returned %T, want *grpc.ClientConn", raw)
	}
	rep.Dispensed = true

	// The status behind the ping (go-plugin only looks at the error).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	resp, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
	cancel()
	if err != nil {
		return fmt.Errorf("health check of %q: %w", plugin.GRPCServiceName, err)
	}
	rep.HealthStatus = resp.GetStatus().String()

	// Graceful shutdown: GRPCController/Shutdown, close the connection, wait up to 2 s, else SIGKILL.
	started := time.Now()
	client.Kill()
	killed = true
	rep.KillSeconds = time.Since(started).Seconds()
	rep.Exited = client.Exited()
	rep.ForcedKill = strings.Contains(logs.String(), "plugin failed to exit gracefully")
	if state := cmd.ProcessState; state != nil {
		rep.ExitCode = state.ExitCode()
		if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			rep.ExitSignal = ws.Signal().String()
			rep.ForcedKill = rep.ForcedKill || ws.Signal() == syscall.SIGKILL
		}
	}
	rep.Graceful = rep.Exited && !rep.ForcedKill && rep.ExitCode == 0 && rep.ExitSignal == ""
	if !rep.Graceful {
		return fmt.Errorf("shutdown was not graceful (exited=%v forced_kill=%v exit_code=%d signal=%q)",
			rep.Exited, rep.ForcedKill, rep.ExitCode, rep.ExitSignal)
	}
	return nil
}
