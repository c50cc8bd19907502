package main

import (
	"strings"
	"sync"
)

// usageColumn is where the descriptions of the usage text start.
const usageColumn = 37

// usage is the top-level help, made from the command table (nouns).
var usage = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString("usage: ostiary [--config FILE] COMMAND [ARGS]\n       ostiary --version | --help\n\ncommands:\n")
	line := func(left, about string) {
		b.WriteString("  " + left)
		if pad := usageColumn - 2 - len(left); pad >= 2 {
			b.WriteString(strings.Repeat(" ", pad))
		} else {
			b.WriteString("\n" + strings.Repeat(" ", usageColumn))
		}
		b.WriteString(about + "\n")
	}
	for _, n := range nouns() {
		// A noun whose commands each say what they do has a line per command.
		if n.cmds[0].about != "" {
			for _, c := range n.cmds {
				line(strings.TrimSpace(strings.Join([]string{n.name, c.sub, c.args}, " ")), c.about)
			}
			continue
		}
		// Else its subcommands are listed as a|b|c, on as many lines as
		// the table wraps them, then what the noun is for.
		var rows [][]string
		for i, c := range n.cmds {
			if i == 0 || c.wrap {
				rows = append(rows, nil)
			}
			if c.sub != "" {
				rows[len(rows)-1] = append(rows[len(rows)-1], c.sub)
			}
		}
		indent := strings.Repeat(" ", len(n.name)+1)
		for i, r := range rows {
			left := strings.TrimSpace(n.name + " " + strings.Join(r, "|"))
			if i > 0 {
				left = indent + strings.Join(r, "|")
			}
			if i < len(rows)-1 {
				b.WriteString("  " + left + "\n")
				continue
			}
			line(left, n.about)
		}
	}
	b.WriteString("\nEvery command takes --config FILE and --output text|json; run\n'ostiary COMMAND SUBCOMMAND -h' for its flags.\n")
	return b.String()
})
