import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsNumber, IsOptional } from 'class-validator';
import { RING_EXAMPLE } from './api-examples';
import { FINITE } from './sim-job.dto';

/* Wire types of POST /v1/ring (answered synchronously). */

export class RingRequestDto {
  @ApiProperty({ description: 'Compute time of one iteration on one GPU (ms)', example: 100 })
  @IsNumber(FINITE)
  tCalcMs!: number;

  @ApiProperty({ description: 'Time to send the whole model over one link (ms)', example: 20 })
  @IsNumber(FINITE)
  tTransmitMs!: number;

  @ApiProperty({ description: 'Time to add a whole model (ms)', example: 5 })
  @IsNumber(FINITE)
  tMergeMs!: number;

  @ApiPropertyOptional({
    description: 'Coefficient of variation of every step (log-normal) for the simulation',
    default: 0,
  })
  @IsOptional()
  @IsNumber(FINITE)
  jitterCv?: number;

  @ApiProperty({
    type: [Number],
    description: 'GPU counts to tabulate',
    example: RING_EXAMPLE.gpus,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(32)
  @IsInt({ each: true })
  gpus!: number[];
}

export class RingRowDto {
  @ApiProperty() gpus!: number;
  @ApiProperty({ description: 'T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge)' })
  iterationMs!: number;
  @ApiProperty({ description: 'S(n) = n T_calc / T(n)' }) speedup!: number;
  @ApiProperty({ description: 'S(n) / n' }) efficiency!: number;
  @ApiProperty() simulatedIterationMs!: number;
  @ApiProperty() simulatedSpeedup!: number;
  @ApiProperty() simulatedIterations!: number;
}

export class RingTableDto {
  @ApiProperty({ example: 'T(n) = T_calc + (n-1)/n (2 T_transmit + T_merge)' }) formula!: string;
  @ApiProperty({ description: 'Efficiency S(n)/n as n grows without bound' })
  efficiencyLimit!: number;
  @ApiProperty({ type: [RingRowDto] }) rows!: RingRowDto[];
}
