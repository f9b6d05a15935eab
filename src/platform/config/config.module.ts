import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './app-config';
import { prepareHome } from './home';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        {
          provide: APP_CONFIG,
          useFactory: () => {
            prepareHome(config.home);
            return config;
          },
        },
      ],
      exports: [APP_CONFIG],
    };
  }
}
