import { ApiProperty } from '@nestjs/swagger';

/* The answer of POST /v1/ring (its request: `ringRequest` in sim-specs.schema.ts). */

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
