import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
  Req,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ValidationError } from '../platform/errors/domain-error';
import { ApiProblems } from '../platform/http/problem.dto';
import { formFields, isMultipart, validateJsonBody } from './body';
import { DATASET_UPLOAD_MAX_BYTES, DatasetsService } from './datasets.service';
import {
  DATASET_UPLOAD_SCHEMA,
  DatasetDto,
  DatasetListDto,
  PackagedDatasetDto,
  PageQuery,
} from './models.dto';
import { multipartInterceptor, UploadedFile } from './multipart.interceptor';

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('v1/datasets')
export class DatasetsController {
  constructor(private readonly datasets: DatasetsService) {}

  @Post()
  @UseInterceptors(multipartInterceptor({ fileSize: DATASET_UPLOAD_MAX_BYTES, files: 1 }))
  @ApiOperation({
    summary: 'Register a data set',
    description:
      'multipart/form-data: upload a zip of class folders of PNG/JPEG images, a CSV with a label column or JSONL {text,label} (field `file`, limit 256 MiB). ' +
      'application/json: register a packaged set by name, optionally with a class subset, remapping, few-shot sampling and split. ' +
      'Bad data is a 422 naming the file, line or zip entry; nothing is registered then. ' +
      'Image archives may hold at most AUTODL_DATASET_MAX_PIXELS pixels in total (read from the image headers before decoding, else 422).',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiExtraModels(PackagedDatasetDto)
  @ApiBody({
    schema: { oneOf: [{ $ref: getSchemaPath(PackagedDatasetDto) }, DATASET_UPLOAD_SCHEMA] },
  })
  @ApiCreatedResponse({ type: DatasetDto })
  @ApiProblems(400, 409, 413, 422, 503, 507)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Body() body: unknown,
    @UploadedFiles() files: UploadedFile[] | undefined,
  ): Promise<DatasetDto> {
    if (isMultipart(req)) {
      const uploads = files ?? [];
      const file = uploads.find((f) => f.fieldname === 'file');
      const other = uploads.find((f) => f.fieldname !== 'file');
      if (other)
        throw ValidationError.field(
          other.fieldname,
          'unexpected file field; send the data as "file"',
        );
      return DatasetDto.from(
        await this.datasets.createFromUpload(principal, file, formFields(body)),
      );
    }
    const dto = await validateJsonBody(body, PackagedDatasetDto);
    return DatasetDto.from(await this.datasets.createPackaged(principal, dto));
  }

  @Get()
  @ApiOperation({ summary: 'List the data sets of the project, newest first' })
  @ApiOkResponse({ type: DatasetListDto })
  @ApiProblems(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
  ): Promise<DatasetListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.datasets.list(principal, limit, offset);
    return { items: items.map((d) => DatasetDto.from(d)), total, limit, offset };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'A data set with its statistics (counts per class, image size) and split sizes',
  })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<DatasetDto> {
    return DatasetDto.from(await this.datasets.get(principal.projectId, id));
  }
}
