package game

import (
	"math"
	"time"
)

// Rules are the tunables of the arena mode. The zero value of a field means its default.
type Rules struct {
	PlayerRadius float64       // world units; default 16
	PlayerSpeed  float64       // units per second; default 220
	MaxHealth    int           // default 100
	BulletRadius float64       // default 4
	BulletSpeed  float64       // units per second; default 800
	BulletRange  float64       // units a bullet flies before it ends; default 720
	BulletDamage int           // default 25: four hits kill
	FireInterval time.Duration // shortest time between two shots; default 200ms
	RespawnDelay time.Duration // time dead before respawning; default 2s
}

// DefaultRules are the rules of the arena mode.
var DefaultRules = Rules{
	PlayerRadius: 16,
	PlayerSpeed:  220,
	MaxHealth:    100,
	BulletRadius: 4,
	BulletSpeed:  800,
	BulletRange:  720,
	BulletDamage: 25,
	FireInterval: 200 * time.Millisecond,
	RespawnDelay: 2 * time.Second,
}

// withDefaults fills the zero fields of r from DefaultRules.
func (r Rules) withDefaults() Rules {
	d := DefaultRules
	pick := func(v, def float64) float64 {
		if v > 0 {
			return v
		}
		return def
	}
	r.PlayerRadius = pick(r.PlayerRadius, d.PlayerRadius)
	r.PlayerSpeed = pick(r.PlayerSpeed, d.PlayerSpeed)
	r.BulletRadius = pick(r.BulletRadius, d.BulletRadius)
	r.BulletSpeed = pick(r.BulletSpeed, d.BulletSpeed)
	r.BulletRange = pick(r.BulletRange, d.BulletRange)
	if r.MaxHealth <= 0 {
		r.MaxHealth = d.MaxHealth
	}
	if r.BulletDamage <= 0 {
		r.BulletDamage = d.BulletDamage
	}
	if r.FireInterval <= 0 {
		r.FireInterval = d.FireInterval
	}
	if r.RespawnDelay <= 0 {
		r.RespawnDelay = d.RespawnDelay
	}
	return r
}

// ticksFor converts a duration into whole ticks at rate ticks per second, at least one.
func ticksFor(d time.Duration, rate int) uint32 {
	return uint32(max(1, math.Ceil(d.Seconds()*float64(rate))))
}
