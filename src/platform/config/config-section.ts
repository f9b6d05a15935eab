/**
 * Configuration sections: how a capability adds its own variables to the service's typed
 * configuration without the platform importing it. A capability defines a section (its name and
 * a loader that reads and validates its variables); the composition root
 * (src/capability-config.ts) hands the list to loadConfig, which loads every section once, at
 * start, after the platform's own settings. A section's loader throws ConfigError naming the
 * variable, so a bad value stops the start the same way a platform variable does.
 */
import type { PlatformConfig } from './app-config';

export type Env = Record<string, string | undefined>;

export interface ConfigSection<T> {
  /** Names the section in error messages (e.g. `kubernetes`). */
  readonly name: string;
  /**
   * Reads and validates the section's variables from `env`; may depend on the platform's
   * settings (e.g. the Kubernetes section reads nothing unless AUTODL_EXECUTOR=kubernetes).
   * Throws ConfigError naming the variable on an invalid value.
   */
  load(env: Env, platform: PlatformConfig): T;
}

/** Any section (ConfigSection is covariant in its value: every section is one of these). */
export type AnyConfigSection = ConfigSection<unknown>;

/** Identity with the type spelled out: `defineConfigSection({ name, load })`. */
export function defineConfigSection<T>(section: ConfigSection<T>): ConfigSection<T> {
  return section;
}

/** The loaded values of the registered sections, read back by their section object. */
export class ConfigSections {
  private readonly values = new Map<AnyConfigSection, unknown>();

  /** Loads every section (in order) against `env`; the first invalid variable throws. */
  static load(
    sections: readonly AnyConfigSection[],
    env: Env,
    platform: PlatformConfig,
  ): ConfigSections {
    const loaded = new ConfigSections();
    for (const section of sections) loaded.values.set(section, section.load(env, platform));
    return loaded;
  }

  has(section: AnyConfigSection): boolean {
    return this.values.has(section);
  }

  /** The section's value; a section the composition root did not register is a programming error. */
  get<T>(section: ConfigSection<T>): T {
    if (!this.values.has(section)) {
      throw new Error(
        `configuration section "${section.name}" was not loaded: load the configuration with ` +
          'loadServiceConfig (src/capability-config.ts), which registers every section',
      );
    }
    return this.values.get(section) as T;
  }
}
