package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

// Proxy modes (--proxy).
const (
	proxyOff      = "off"
	proxyReadonly = "readonly"
	proxyOn       = "on"
)

// Proxy flag names.
const (
	flagProxy                = "proxy"
	flagProxyFailureWait     = "proxy-failure-wait"
	flagProxyRefreshInterval = "proxy-refresh-interval"
	flagProxyDialTimeout     = "proxy-dial-timeout"
	flagProxyWriteTimeout    = "proxy-write-timeout"
	flagProxyReadTimeout     = "proxy-read-timeout"
)

// proxySettings is the proxy part of serverConfig (SPEC §8.1, §8.2).
type proxySettings struct {
	Mode            string // proxyOff, proxyReadonly or proxyOn
	FailureWait     time.Duration
	RefreshInterval time.Duration
	DialTimeout     time.Duration
	WriteTimeout    time.Duration
	ReadTimeout     time.Duration
}

// proxyFlags defines --proxy and its timings, with the reference's defaults.
func proxyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: flagProxy, Value: &choiceValue{value: proxyOff, valid: []string{proxyOff, proxyReadonly, proxyOn}},
			Usage: "Proxy mode setting ('off', 'readonly' or 'on'). [$" + envName(flagProxy) + "]"},
		&cli.UintFlag{Name: flagProxyFailureWait, Value: 5000, Usage: "Time (in milliseconds) an endpoint will be held in a failed state."},
		&cli.UintFlag{Name: flagProxyRefreshInterval, Value: 30000, Usage: "Time (in milliseconds) of the endpoints refresh interval."},
		&cli.UintFlag{Name: flagProxyDialTimeout, Value: 1000, Usage: "Time (in milliseconds) for a dial to timeout."},
		&cli.UintFlag{Name: flagProxyWriteTimeout, Value: 5000, Usage: "Time (in milliseconds) for a write to timeout."},
		&cli.UintFlag{Name: flagProxyReadTimeout, Value: 0, Usage: "Time (in milliseconds) for a read to timeout."},
	}
}

// parseProxyConfig reads the proxy flags into cfg.Proxy; milliseconds become durations
// here, once.
func parseProxyConfig(c *cli.Context, cfg *serverConfig) error {
	ms := func(flag string) time.Duration { return time.Duration(c.Uint(flag)) * time.Millisecond }
	cfg.Proxy = proxySettings{
		Mode:            c.Generic(flagProxy).(*choiceValue).String(),
		FailureWait:     ms(flagProxyFailureWait),
		RefreshInterval: ms(flagProxyRefreshInterval),
		DialTimeout:     ms(flagProxyDialTimeout),
		WriteTimeout:    ms(flagProxyWriteTimeout),
		ReadTimeout:     ms(flagProxyReadTimeout),
	}
	// The reference accepts 0 and then asks the members for their list in a busy loop.
	if cfg.Proxy.RefreshInterval <= 0 && mayBeProxy(c) {
		return fmt.Errorf("%w: --%s must be positive", errConfig, flagProxyRefreshInterval)
	}
	return nil
}

// mayBeProxy reports whether this process may end up a proxy: --proxy is on or
// readonly, or a full discovery token makes it fall back to one. A proxy needs no
// --advertise-client-urls.
func mayBeProxy(c *cli.Context) bool {
	if v, ok := c.Generic(flagProxy).(*choiceValue); ok && v.String() != proxyOff {
		return true
	}
	// The discovery flags belong to the discovery code; an undefined flag reads "".
	return c.String("discovery") != "" && c.String("discovery-fallback") == "proxy"
}

// choiceValue is a flag value restricted to a fixed set of words. A bad word fails the
// way the reference reports it: invalid value "x" for flag -proxy: invalid value.
type choiceValue struct {
	value string
	valid []string
}

var errInvalidChoice = errors.New("invalid value")

func (v *choiceValue) Set(s string) error {
	for _, ok := range v.valid {
		if s == ok {
			v.value = s
			return nil
		}
	}
	return errInvalidChoice
}

func (v *choiceValue) String() string {
	if v == nil {
		return ""
	}
	return v.value
}
